'use strict';
// Per-thread scheduler accounting from /proc/<pid>/task/<tid>/schedstat: time on a CPU and time
// runnable but waiting for one. A thread whose run + wait is near 100% of the interval wants a
// core all the time; on a busy 2-core box the wait part says how much the other threads (and the
// machine's other tenants) hold it back. /proc/stat gives how busy the whole box was.
const fs = require('node:fs');

function threads(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      out.set(tid, { run, wait });
    } catch {
      // thread ended
    }
  }
  return out;
}

function boxTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}

/** Starts an interval; the returned function ends it and gives percentages of that interval. */
function startSched(pid) {
  const t0 = process.hrtime.bigint();
  const before = threads(pid);
  const box0 = boxTicks();
  return () => {
    const ns = Number(process.hrtime.bigint() - t0);
    const after = threads(pid);
    const box1 = boxTicks();
    const pct = (v) => Math.round((v / ns) * 1000) / 10;
    const rows = [];
    for (const [tid, a] of after) {
      const b = before.get(tid) ?? { run: 0, wait: 0 };
      rows.push({ tid, main: tid === String(pid), run: pct(a.run - b.run), wait: pct(a.wait - b.wait) });
    }
    const main = rows.find((r) => r.main) ?? { run: NaN, wait: NaN };
    const others = rows.filter((r) => !r.main).sort((x, y) => y.run - x.run);
    const boxTotal = box1.total - box0.total;
    return {
      mainThread: { runPct: main.run, waitPct: main.wait },
      // The busiest other threads: the storage threads at load.
      busiestOthers: others.slice(0, 2).map((r) => ({ runPct: r.run, waitPct: r.wait })),
      restRunPct: Math.round(others.slice(2).reduce((s, r) => s + r.run, 0) * 10) / 10,
      boxBusyPct: boxTotal > 0 ? Math.round((1 - (box1.idle - box0.idle) / boxTotal) * 1000) / 10 : NaN,
    };
  };
}

module.exports = { startSched };
