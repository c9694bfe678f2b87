// A real nats-server for tests and benchmarks (DESIGN.md section 7): JetStream on a free
// 127.0.0.1 port with a temporary store, started, killed -9, restarted on the same port and
// store, and removed. Never a stub: if the binary is missing the caller gets a TestingError.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestingError } from './errors';
import { freePort } from './free-port';

/** Where Debian's package (scripts/ensure-system-deps.sh) and the usual manual installs put it. */
const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/** The nats-server binary: $NATS_SERVER_BIN, else $PATH, else the usual places; a TestingError if none. */
export function findNatsServerBinary(): string {
  const explicit = process.env.NATS_SERVER_BIN;
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new TestingError('BINARY_MISSING', `NATS_SERVER_BIN=${explicit} is not an executable file`);
  }
  const fromPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, 'nats-server'));
  const found = [...fromPath, ...CANDIDATES].find(isExecutable);
  if (found) return found;
  throw new TestingError(
    'BINARY_MISSING',
    'nats-server is not installed (looked in $PATH and ' + CANDIDATES.join(', ') + '); run `bash scripts/ensure-system-deps.sh` (npm test does) or set NATS_SERVER_BIN',
  );
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface NatsServerAuth {
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
}

export interface NatsServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA that client certificates must chain to (with verifyClients). */
  readonly caFile?: string;
  /** Require and verify a client certificate (mutual TLS). */
  readonly verifyClients?: boolean;
}

export interface NatsServerOptions {
  /** Client port; default a free one (and a new one if it was taken meanwhile). */
  readonly port?: number;
  /** Monitoring (HTTP) port, used for the readiness check; default a free one. */
  readonly monitorPort?: number;
  /** JetStream store; default a new temp directory that stop() removes. */
  readonly storeDir?: string;
  readonly serverName?: string;
  readonly jetstream?: boolean;
  readonly auth?: NatsServerAuth;
  readonly tls?: NatsServerTls;
  /** Set by startNatsCluster: this server's route port and its peers' route ports. */
  readonly cluster?: { readonly name: string; readonly port: number; readonly routes: readonly number[] };
  /** Merged into the generated configuration as-is (NATS config accepts JSON). */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
  readonly startTimeoutMs?: number;
  readonly binary?: string;
}

const MAX_LOG_LINES = 400;

/** Running servers, so a test process that dies mid-test does not leave them behind. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/**
 * One nats-server process. `start` resolves once /healthz answers ok (JetStream included, and
 * in a cluster once the server is current with the meta leader).
 */
export class NatsServer {
  readonly port: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  readonly configFile: string;
  readonly serverName: string;
  private readonly workDir: string;
  private readonly lines: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private removed = false;

  private constructor(
    private readonly options: NatsServerOptions,
    private readonly binary: string,
    ports: { port: number; monitorPort: number },
  ) {
    this.port = ports.port;
    this.monitorPort = ports.monitorPort;
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-nats-'));
    this.storeDir = options.storeDir ?? path.join(this.workDir, 'jetstream');
    this.serverName = options.serverName ?? `md-test-${this.port}`;
    this.configFile = path.join(this.workDir, 'nats.conf');
    fs.writeFileSync(this.configFile, JSON.stringify(this.config(), null, 2));
  }

  /** Starts a server and waits until it is ready. */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const binary = options.binary ?? findNatsServerBinary();
    // A port picked here may be taken by someone else before the server binds it: retry with new
    // ports, but only for ports we picked.
    for (let attempt = 1; ; attempt++) {
      const ports = { port: options.port ?? (await freePort()), monitorPort: options.monitorPort ?? (await freePort()) };
      const server = new NatsServer(options, binary, ports);
      try {
        await server.launch();
        return server;
      } catch (err) {
        await server.stop();
        const picked = options.port === undefined && options.monitorPort === undefined;
        if (!picked || attempt >= 3 || !server.logText().includes('address already in use')) throw err;
      }
    }
  }

  /** Client URL. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get monitorUrl(): string {
    return `http://127.0.0.1:${this.monitorPort}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The server's log lines (the newest few hundred). */
  logs(): readonly string[] {
    return this.lines;
  }

  /** Kills the process with SIGKILL (as a crash would) and waits for it; the store stays for restart(). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful shutdown (SIGTERM), keeping the store for restart(). */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts the server again on the same port and store (after kill() or shutdown(); shuts it down first if running). */
  async restart(): Promise<void> {
    if (this.removed) throw new TestingError('SERVER_START_FAILED', 'restart() after stop(): the server and its store are gone');
    await this.shutdown();
    await this.launch();
  }

  /** Stops the server and removes its temp directory (and its store, if this launcher created it). Idempotent. */
  async stop(): Promise<void> {
    await this.shutdown();
    if (this.removed) return;
    this.removed = true;
    // A store this launcher created lives inside workDir; one passed in by the caller is theirs.
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  /** GET a monitoring endpoint (e.g. '/jsz', '/routez') as JSON. */
  async monitor<T = Record<string, unknown>>(endpoint: string): Promise<T> {
    const res = await fetch(this.monitorUrl + endpoint);
    if (!res.ok) throw new TestingError('SERVER_START_FAILED', `GET ${endpoint} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  private config(): Record<string, unknown> {
    const o = this.options;
    const config: Record<string, unknown> = {
      server_name: this.serverName,
      host: '127.0.0.1',
      port: this.port,
      http: `127.0.0.1:${this.monitorPort}`,
    };
    if (o.jetstream !== false) {
      // Bounded so several test servers on a small box never reserve most of its RAM or disk.
      config.jetstream = { store_dir: this.storeDir, max_memory_store: 256 * 1024 * 1024, max_file_store: 2 * 1024 * 1024 * 1024 };
    }
    if (o.auth?.token !== undefined) config.authorization = { token: o.auth.token };
    else if (o.auth?.user !== undefined) config.authorization = { user: o.auth.user, password: o.auth.password ?? '' };
    if (o.tls) {
      config.tls = {
        cert_file: o.tls.certFile,
        key_file: o.tls.keyFile,
        ...(o.tls.caFile ? { ca_file: o.tls.caFile } : {}),
        ...(o.tls.verifyClients ? { verify: true } : {}),
      };
    }
    if (o.cluster) {
      config.cluster = {
        name: o.cluster.name,
        host: '127.0.0.1',
        port: o.cluster.port,
        routes: o.cluster.routes.map((p) => `nats-route://127.0.0.1:${p}`),
      };
    }
    return { ...config, ...(o.extraConfig ?? {}) };
  }

  private logText(): string {
    return this.lines.join('\n');
  }

  private async launch(): Promise<void> {
    const child = spawn(this.binary, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    trackChild(child);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let partial = '';
    const onData = (chunk: Buffer): void => {
      partial += chunk.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        this.lines.push(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
        if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const timeoutMs = this.options.startTimeoutMs ?? 20_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failed = await Promise.race([spawnError, delay(50).then(() => undefined)]);
      if (failed) throw new TestingError('SERVER_START_FAILED', `cannot run ${this.binary}: ${failed.message}`);
      if (!this.running) {
        throw new TestingError('SERVER_START_FAILED', `nats-server exited during start (port ${this.port}):\n${this.lines.slice(-15).join('\n')}`);
      }
      if (await this.healthy()) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new TestingError('TIMEOUT', `nats-server on port ${this.port} not ready within ${timeoutMs} ms:\n${this.lines.slice(-15).join('\n')}`);
      }
    }
  }

  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.monitorUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}

export interface NatsClusterOptions extends Omit<NatsServerOptions, 'port' | 'monitorPort' | 'storeDir' | 'serverName' | 'cluster'> {
  /** Number of servers; 3 by default (the smallest cluster that keeps R3 streams writable with one down). */
  readonly size?: number;
  readonly name?: string;
}

/** A nats-server cluster on loopback, each server with its own store. */
export class NatsCluster {
  private constructor(readonly servers: readonly NatsServer[]) {}

  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    const size = options.size ?? 3;
    const routePorts: number[] = [];
    for (let i = 0; i < size; i++) routePorts.push(await freePort());
    const { size: _size, name, ...serverOptions } = options;
    const started = await Promise.allSettled(
      routePorts.map((port, i) =>
        NatsServer.start({
          ...serverOptions,
          serverName: `md-test-n${i + 1}-${port}`,
          cluster: { name: name ?? `md-test-${routePorts[0]}`, port, routes: routePorts.filter((p) => p !== port) },
        }),
      ),
    );
    const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      const failure = started.find((r) => r.status === 'rejected');
      if (failure) throw failure.reason;
      // Healthy is not meshed: a server may still be dialling its routes (a CI run once found one
      // with a single route), and a test of the cluster means the whole mesh.
      await NatsCluster.meshed(servers, size - 1);
    } catch (err) {
      await Promise.all(servers.map((s) => s.stop()));
      throw err;
    }
    return new NatsCluster(servers);
  }

  private static async meshed(servers: readonly NatsServer[], routes: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await Promise.all(servers.map(async (s) => (await s.monitor<{ num_routes: number }>('/routez')).num_routes));
      if (counts.every((n) => n >= routes)) return;
      if (Date.now() > deadline) throw new TestingError('TIMEOUT', `nats cluster not meshed after ${timeoutMs} ms: routes per server ${counts.join(', ')}, expected ${routes}`);
      await delay(50);
    }
  }

  /** Every server's client URL, comma-separated (the `--bus` form). */
  get urls(): string {
    return this.servers.map((s) => s.url).join(',');
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
