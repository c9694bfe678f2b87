#!/usr/bin/env node
// npm run probe:hostile: repeats issue 12's hostile cases against the BUILT apps as real child
// processes (fake Binance exchanges and hostile clients, all on 127.0.0.1, temp dirs removed at
// the end) and prints a table: case, expectation, measured result, PASS/FAIL. Exit 1 if any case
// fails. Takes a few minutes, so it is not part of the unit suite.
//   node scripts/probe-hostile.js [--only 1,2a,...]   (after building testing, ingest-app, analytics-app)
'use strict';
const { stringArg } = require('../bench/cli-args');
const { stopAll, removeDirs } = require('./probe-hostile/support');

const SUITES = [require('./probe-hostile/cases-subscribers'), require('./probe-hostile/cases-feeds'), require('./probe-hostile/cases-process')];
const only = stringArg('only')?.split(',');

function printTable(rows) {
  const cols = [
    ['case', (r) => r.name],
    ['expectation', (r) => r.expectation],
    ['result', (r) => r.result],
    ['', (r) => (r.pass ? 'PASS' : 'FAIL')],
  ];
  const wrap = (text, width) => {
    const lines = [];
    let line = '';
    for (const word of String(text).split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
    return lines;
  };
  const widths = [30, 44, 70, 4];
  const sep = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const out = [sep];
  const texts = [cols.map(([h]) => h), ...rows.map((row) => cols.map(([, f]) => f(row)))];
  for (const text of texts) {
    const cells = text.map((t, i) => wrap(t, widths[i]));
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(`| ${cells.map((c, i) => (c[k] ?? '').padEnd(widths[i])).join(' | ')} |`);
    out.push(sep);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main() {
  const rows = [];
  const started = Date.now();
  const check = async (name, expectation, fn) => {
    if (only && !only.includes(name.split(' ')[0])) return;
    const t0 = Date.now();
    let row;
    try {
      const { pass, result } = await fn();
      row = { name, expectation, pass: pass === true, result };
    } catch (err) {
      row = { name, expectation, pass: false, result: `probe error: ${err?.message ?? err}` };
    }
    rows.push(row);
    process.stderr.write(`${row.pass ? 'PASS' : 'FAIL'} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${row.result}\n`);
  };
  try {
    for (const suite of SUITES) await suite.run(check);
  } finally {
    await stopAll();
    removeDirs();
  }
  printTable(rows);
  const failed = rows.filter((r) => !r.pass);
  process.stdout.write(`${rows.length - failed.length}/${rows.length} passed in ${Math.round((Date.now() - started) / 1000)} s${failed.length ? `; FAILED: ${failed.map((r) => r.name).join(', ')}` : ''}\n`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`probe-hostile: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
