import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChildApp, INGEST_MAIN, until } from '@market-data/testing';

/**
 * Other teams install storage-core, pool, queries and client from a registry, not from this
 * workspace. So this test packs the built libraries' real tarballs and installs them into fresh
 * projects outside the repo, then runs CommonJS, ESM and TypeScript consumers as child processes,
 * and the client's README example against a running ingester.
 * It catches what workspace tests cannot: a missing `files` entry, a broken `exports` map, a
 * dependency only the monorepo root provides, declarations that do not resolve or degrade to any.
 */

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(__dirname, 'consumer-fixtures');
const LIBS = ['queries', 'storage-core', 'pool'] as const;
const PACKED = [...LIBS, 'client'] as const;
type Lib = (typeof PACKED)[number];
/** App machinery that must never reach a user of the storage libraries. */
const APP_ONLY = ['pino', 'prom-client', 'zod'];

const REQUIRED_FILES = ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/index.mjs'];
const FORBIDDEN_FILE = /^(src|test)\/|\.spec\.|^tsconfig|^jest\.config|^project\.json$/;

interface Packed {
  readonly tarball: string;
  readonly files: readonly string[];
}

interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The parent's environment minus what `npm test` and Nx inject for their own task, so the child
 * npm resolves its own project (not the repo's workspace) and the nested build is a plain one.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_|^npm_config_(local_prefix|workspaces?|include_workspace_root)$|^NX_TASK_|^NX_TERMINAL_/i.test(key)) continue;
    env[key] = value;
  }
  env.NX_DAEMON = 'false';
  return env;
}

function runProcess(command: string, args: readonly string[], cwd: string, timeoutMs = 120_000): Outcome {
  const result = spawnSync(command, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command that must succeed; a failure shows its full output in the test report. */
function mustRun(command: string, args: readonly string[], cwd: string, timeoutMs?: number): string {
  const outcome = runProcess(command, args, cwd, timeoutMs);
  if (outcome.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${outcome.status}\n${outcome.stdout}\n${outcome.stderr}`);
  }
  return outcome.stdout;
}

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The last stdout line as JSON: consumers print one result line. */
function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

/** Every installed package name under a node_modules tree, nested ones included. */
function installedPackages(modules: string): string[] {
  const names: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      const full = path.join(dir, entry);
      if (entry.startsWith('@')) {
        for (const scoped of fs.readdirSync(full)) {
          names.push(`${entry}/${scoped}`);
          walk(path.join(full, scoped, 'node_modules'));
        }
      } else {
        names.push(entry);
        walk(path.join(full, 'node_modules'));
      }
    }
  };
  walk(modules);
  return names;
}

/** The first ```js block under "## Example" in the client's README: the example users copy. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(REPO, 'packages', 'client', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Example'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('client README has no ```js block under ## Example');
  return match[1];
}

function pack(lib: Lib, destination: string): Packed {
  const stdout = mustRun(NPM, ['pack', '--json', '--pack-destination', destination], path.join(REPO, 'packages', lib));
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  return { tarball: path.join(destination, info.filename), files: info.files.map((f) => f.path) };
}

function makeProject(dir: string, dependencies: Readonly<Record<string, string>>): void {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name: path.basename(dir), version: '1.0.0', private: true, dependencies };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  mustRun(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir, 180_000);
}

function copyFixture(name: string, projectDir: string, as = name): void {
  fs.copyFileSync(path.join(FIXTURES, name), path.join(projectDir, as));
}

/** `line:TSnnnn` for each error tsc reports in `file`. */
function reportedErrors(tscOutput: string, file: string): string[] {
  const pattern = new RegExp(`^${file.replace('.', '\\.')}\\((\\d+),\\d+\\): error (TS\\d+):`, 'gm');
  return [...tscOutput.matchAll(pattern)].map((m) => `${m[1]}:${m[2]}`).sort();
}

/** `line:TSnnnn` for each `// expect TSnnnn` marker in a fixture. */
function expectedErrors(fixture: string): string[] {
  return fs
    .readFileSync(path.join(FIXTURES, fixture), 'utf8')
    .split('\n')
    .flatMap((text, i) => [...text.matchAll(/\/\/ expect (TS\d+)/g)].map((m) => `${i + 1}:${m[1]}`))
    .sort();
}

describe('packed libraries installed into a fresh project', () => {
  let root: string;
  let app: string;
  let queriesOnly: string;
  let clientApp: string;
  const packed = {} as Record<Lib, Packed>;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'market-data-packed-'));
    // `nx run-many -t test` builds the libraries first (test depends on build); building again
    // here would rewrite dist/ under other suites' running child processes. Only a direct jest
    // run without a build does it.
    if (PACKED.some((lib) => !fs.existsSync(path.join(REPO, 'packages', lib, 'dist', 'index.mjs'))) || !fs.existsSync(INGEST_MAIN)) {
      const nx = require.resolve('nx/bin/nx.js', { paths: [REPO] });
      mustRun(process.execPath, [nx, 'run-many', '-t', 'build', '-p', [...PACKED, 'ingest-app'].join(','), '--output-style=static'], REPO, 300_000);
    }
    const tarballs = path.join(root, 'tarballs');
    fs.mkdirSync(tarballs);
    for (const lib of PACKED) packed[lib] = pack(lib, tarballs);

    app = path.join(root, 'consumer-app');
    makeProject(
      app,
      Object.fromEntries(LIBS.map((lib) => [`@market-data/${lib}`, `file:${packed[lib].tarball}`])),
    );
    for (const fixture of ['seed-scenario.cjs', 'consumer.cjs', 'consumer.mjs']) copyFixture(fixture, app);

    queriesOnly = path.join(root, 'queries-only');
    makeProject(queriesOnly, { '@market-data/queries': `file:${packed.queries.tarball}` });
    copyFixture('queries-only.cjs', queriesOnly);

    clientApp = path.join(root, 'client-app');
    makeProject(clientApp, { '@market-data/client': `file:${packed.client.tarball}` });
    fs.writeFileSync(path.join(clientApp, 'follow.js'), readmeExample());
  }, 600_000);

  afterAll(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it.each(PACKED)('%s tarball holds the built entry points, types, README and manifest, and no sources or tests', (lib) => {
    const { files } = packed[lib];
    expect({ lib, missing: REQUIRED_FILES.filter((f) => !files.includes(f)) }).toEqual({ lib, missing: [] });
    expect({ lib, unwanted: files.filter((f) => FORBIDDEN_FILE.test(f)) }).toEqual({ lib, unwanted: [] });
  });

  it('installs one copy of each library, with @duckdb/node-api from the registry', () => {
    const modules = path.join(app, 'node_modules');
    expect(fs.readdirSync(path.join(modules, '@market-data')).sort()).toEqual(['pool', 'queries', 'storage-core']);
    // A nested copy would give pool its own registry of open files and its own error classes.
    for (const lib of LIBS) expect(fs.existsSync(path.join(modules, '@market-data', lib, 'node_modules', '@market-data'))).toBe(false);
    expect(fs.existsSync(path.join(modules, '@duckdb', 'node-api', 'package.json'))).toBe(true);
  });

  it('storage-core, pool and queries pull in no pino, prom-client or zod (app machinery stays in the apps)', () => {
    const installed = installedPackages(path.join(app, 'node_modules'));
    expect(installed).toContain('@duckdb/node-api');
    expect(installed.filter((name) => APP_ONLY.includes(name) || name.startsWith('@market-data/runtime'))).toEqual([]);
  });

  it('client installs alone: no DuckDB, no storage library', () => {
    const installed = installedPackages(path.join(clientApp, 'node_modules'));
    expect(installed.filter((name) => name.startsWith('@market-data/'))).toEqual(['@market-data/client']);
    expect(installed.filter((name) => name.startsWith('@duckdb/'))).toEqual([]);
    expect(installed).toEqual(expect.arrayContaining(['ws', 'zod']));
  });

  it("runs the client README's example against a running ingester, and it stops on Ctrl-C with a cursor to resume from", async () => {
    const dataDir = path.join(root, 'ingest-data');
    const ingester = new ChildApp(INGEST_MAIN, ['--source', 'synthetic', '--rate', '200', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    try {
      const url = (await ingester.url()).replace('http', 'ws');
      const pairs = ['synthetic:spot:BTCUSDT', 'synthetic:usdm:ETHUSDT'];
      const example = spawn(process.execPath, ['follow.js', url, pairs.join(',')], { cwd: clientApp, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      example.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      example.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => example.once('exit', (code) => resolve(code)));
      const live = (pair: string): RegExp => new RegExp(`^${pair} \\d+ trades, last (BUY|SELL) [0-9.e-]+ @ [0-9.]+ at \\d{4}-`, 'm');
      await until(() => pairs.every((pair) => live(pair).test(stdout)), 60_000, `live trades of both pairs; got:\n${stdout}\n${stderr}`);
      example.kill('SIGINT');
      expect(await exited).toBe(0);
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toBe(`following ${pairs.slice().sort().join(', ')}`);
      for (const pair of pairs) expect(stdout).toContain(`${pair}: history sent, live from here`);
      const { cursor } = JSON.parse(lines[lines.length - 1]) as { cursor: Record<string, number> };
      expect(Object.keys(cursor).sort()).toEqual(pairs.slice().sort());
      for (const pair of pairs) expect(cursor[pair]).toBeGreaterThan(Date.now() - 120_000);
      expect(stderr).toContain('[open]');
    } finally {
      ingester.kill('SIGTERM');
      await ingester.exited;
    }
  }, 120_000);

  it('client loads through require and import as one module, with typed errors', () => {
    const script = `
      const cjs = require('@market-data/client');
      import('@market-data/client').then((esm) => {
        let error;
        try { new esm.MarketDataClient({ url: 'ws://127.0.0.1:1', pairs: ['../etc/passwd'] }); } catch (err) { error = err; }
        console.log(JSON.stringify({
          same: esm.MarketDataClient === cjs.MarketDataClient,
          error: { name: error.name, code: error.code, instanceOf: error instanceof cjs.ClientError },
          resolved: require.resolve('@market-data/client'),
        }));
      });`;
    const result = lastJsonLine(mustRun(process.execPath, ['-e', script], clientApp, 30_000));
    expect(result).toEqual({
      same: true,
      error: { name: 'ClientError', code: 'INVALID_OPTION', instanceOf: true },
      resolved: expect.stringContaining('node_modules/@market-data/client/dist/index.js'),
    });
  }, 30_000);

  it('client compiles in a strict TypeScript project against its packed declarations', () => {
    copyFixture('typed-client.ts.txt', clientApp, 'typed-client.ts');
    const compilerOptions = {
      strict: true,
      noEmit: true,
      module: 'node16',
      moduleResolution: 'node16',
      target: 'es2022',
      skipLibCheck: false,
      typeRoots: [path.join(REPO, 'node_modules', '@types')],
      types: ['node'],
    };
    fs.writeFileSync(path.join(clientApp, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['typed-client.ts'] }, null, 2));
    const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const outcome = runProcess(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], clientApp);
    expect(outcome.stdout + outcome.stderr).toBe('');
    expect(outcome.status).toBe(0);
  }, 60_000);

  const seedResult = {
    append: { inserted: 5, duplicates: 0, minTimestamp: Date.UTC(2024, 0, 1, 0, 0, 1), maxTimestamp: Date.UTC(2024, 0, 1, 0, 0, 5) },
    appendAgain: { inserted: 0, duplicates: 5 },
    cvd: { buy_volume: 45, sell_volume: 8, cvd: 37 },
    imbalance: { buy_volume: 45, sell_volume: 8, imbalance_ratio: 5.625 },
    latestCvd: 1.5,
    tickCount: 6,
    poolAppend: { inserted: 5, duplicates: 0 },
    ethOpen: true,
    poolCvd: 37,
    poolStats: { poolSize: 1, maxConnections: 1, hits: 1, misses: 2, evictions: 1, activePairs: 0, pinned: 0, waiting: 0 },
    errors: {
      pair: { name: 'InvalidPairError', code: 'INVALID_PAIR', instanceOf: true },
      query: { name: 'QueryError', code: 'INVALID_OPTION', instanceOf: true },
      pool: { name: 'PoolError', code: 'INVALID_OPTION', instanceOf: true },
    },
  };

  it.each([
    ['CommonJS require', 'consumer.cjs', 'dist/index.js'],
    ['ESM import', 'consumer.mjs', 'dist/index.mjs'],
  ])("runs the seed's example through %s", (_kind, script, entry) => {
    const dataDir = path.join(root, `data-${script}`);
    const result = lastJsonLine(mustRun(process.execPath, [script, dataDir], app, 60_000));
    expect(result).toMatchObject(seedResult);
    expect(result.resolved).toEqual(
      ['storage-core', 'pool', 'queries'].map((lib) => expect.stringContaining(`node_modules/@market-data/${lib}/${entry}`)),
    );
    if (script.endsWith('.mjs')) expect(result.sameInstanceAsRequire).toBe(true);
    // The pair files landed where DESIGN.md section 2 puts them.
    expect(fs.existsSync(path.join(dataDir, 'binance', 'spot', 'BTCUSDT', 'trading.duckdb'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'binance', 'futures', 'BTCUSDT', 'trading.duckdb'))).toBe(true);
  }, 60_000);

  describe('TypeScript consumer (tsc --strict, module node16)', () => {
    const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

    beforeAll(() => {
      copyFixture('typed-consumer.ts.txt', app, 'typed-consumer.ts');
      copyFixture('typed-consumer-esm.mts.txt', app, 'typed-consumer-esm.mts');
      copyFixture('type-errors.ts.txt', app, 'type-errors.ts');
      const compilerOptions = {
        strict: true,
        noEmit: true,
        module: 'node16',
        moduleResolution: 'node16',
        target: 'es2022',
        // Library declarations are checked too: a broken .d.ts in a tarball fails here.
        skipLibCheck: false,
        typeRoots: [path.join(REPO, 'node_modules', '@types')],
        types: ['node'],
      };
      fs.writeFileSync(
        path.join(app, 'tsconfig.json'),
        JSON.stringify({ compilerOptions, files: ['typed-consumer.ts', 'typed-consumer-esm.mts'] }, null, 2),
      );
      fs.writeFileSync(path.join(app, 'tsconfig.errors.json'), JSON.stringify({ compilerOptions, files: ['type-errors.ts'] }, null, 2));
    });

    // --pretty false: Nx sets FORCE_COLOR, and tsc's pretty format would hide the `file(line,col)` form.
    it('compiles typed CommonJS and ESM consumers with zero errors', () => {
      const outcome = runProcess(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], app);
      expect(outcome.stdout + outcome.stderr).toBe('');
      expect(outcome.status).toBe(0);
    }, 60_000);

    it('rejects misuse with exactly the expected type errors (the packed types are not any)', () => {
      const outcome = runProcess(process.execPath, [tsc, '-p', 'tsconfig.errors.json', '--pretty', 'false'], app);
      const expected = expectedErrors('type-errors.ts.txt');
      expect(expected.length).toBeGreaterThanOrEqual(8);
      expect(reportedErrors(outcome.stdout, 'type-errors.ts')).toEqual(expected);
      expect(outcome.status).not.toBe(0);
    }, 60_000);
  });

  it('queries installs alone and works without @duckdb/node-api present', () => {
    const modules = fs.readdirSync(path.join(queriesOnly, 'node_modules')).filter((name) => !name.startsWith('.'));
    expect(modules).toEqual(['@market-data']);
    const result = lastJsonLine(mustRun(process.execPath, ['queries-only.cjs'], queriesOnly, 30_000));
    expect(result.duckdbInstalled).toBe(false);
    expect(result.error).toEqual({ name: 'QueryError', code: 'INVALID_OPTION', instanceOf: true });
    expect(result.esmSameFunction).toBe(true);
    const cvd = result.cvd as { sql: string; params: unknown[] };
    // The window end travels as a bound parameter (epoch µs), never spliced into the SQL.
    expect(cvd.params).toContain(Date.UTC(2024, 0, 1) * 1000);
    expect(cvd.sql).toContain('$1');
    expect(cvd.sql).not.toContain(String(Date.UTC(2024, 0, 1) * 1000));
  }, 30_000);
});
