import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, KvWatchInclude, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { RuntimeError } from '../errors';

/** A lease's value in the bucket. */
export interface LeaseRecord {
  readonly node: string;
  /** When this holder claimed it (epoch ms, the holder's clock; informational). */
  readonly since: number;
}

/** A node's heartbeat in the bucket. */
export interface NodeRecord {
  readonly node: string;
  readonly startedAt: number;
  readonly held: number;
}

/** The bucket at one moment, as the server has it. */
export interface BucketSnapshot {
  /** Nodes whose heartbeat has not lapsed. */
  readonly nodes: ReadonlyMap<string, NodeRecord>;
  /** Held leases by pair id. */
  readonly leases: ReadonlyMap<string, { readonly holder: string; readonly revision: number }>;
  /** Pairs whose last holder released them (a delete marker not yet aged out), with the marker's revision. */
  readonly released: ReadonlyMap<string, number>;
}

export interface LeaseStoreOptions {
  /** KV bucket name, one per role (e.g. md_ingest_leases, md_analytics_leases). */
  readonly bucket: string;
  /** The bucket's max age: a lease or heartbeat not renewed within it disappears. */
  readonly ttlMs: number;
  readonly replicas?: number;
  /** Per KV request (default 2000 ms): a renewal must not wait on a dead link longer than the lease lasts. */
  readonly requestTimeoutMs?: number;
}

const PAIR_PREFIX = 'pair.';
const NODE_PREFIX = 'node.';
const codec = new TextEncoder();
const decoder = new TextDecoder();

/** `exchange:marketType:symbol` -> `pair.exchange.marketType.symbol` (the parts are single KV tokens). */
export const pairKey = (pair: string): string => PAIR_PREFIX + pair.split(':').join('.');
const pairOfKey = (key: string): string => key.slice(PAIR_PREFIX.length).split('.').join(':');

/** Thrown by renew/claim when the key moved: someone else holds it now. */
export function isConflict(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

/**
 * The lease bucket: leases (`pair.<exchange>.<marketType>.<symbol>`) and node heartbeats
 * (`node.<id>`) in one KV bucket whose max age is the lease TTL (nats-server 2.9 has no
 * per-message TTL, so the bucket's is the only one). Every write that guards ownership is a
 * compare-and-set on the key's last revision.
 */
export class LeaseStore {
  private constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    readonly bucket: string,
    readonly ttlMs: number,
    private readonly timeoutMs: number,
  ) {}

  /** Creates the bucket or opens it; an existing bucket with another TTL is refused (the TTL is every node's safety margin). */
  static async open(nc: NatsConnection, options: LeaseStoreOptions): Promise<LeaseStore> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.bucket)) throw new RuntimeError('INVALID_CONFIG', `lease bucket "${options.bucket}": 1-64 characters of [A-Za-z0-9_-]`);
    const timeoutMs = options.requestTimeoutMs ?? 2000;
    const js = jetstream(nc, { timeout: timeoutMs });
    const kvm = new Kvm(js);
    let kv: KV;
    try {
      kv = await kvm.create(options.bucket, { ttl: options.ttlMs, history: 1, replicas: options.replicas ?? 1 });
    } catch (err) {
      // An existing bucket made with other settings: open it and check the one that matters.
      try {
        kv = await kvm.open(options.bucket);
      } catch {
        throw new RuntimeError('LEASES_UNAVAILABLE', `cannot create or open lease bucket ${options.bucket}: ${(err as Error).message}`, { cause: err });
      }
    }
    let ttl: number;
    try {
      ttl = (await kv.status()).ttl;
    } catch (err) {
      throw new RuntimeError('LEASES_UNAVAILABLE', `cannot read lease bucket ${options.bucket}: ${(err as Error).message}`, { cause: err });
    }
    if (ttl !== options.ttlMs) {
      throw new RuntimeError(
        'INVALID_CONFIG',
        `lease bucket ${options.bucket} has a TTL of ${ttl} ms, this node is configured with ${options.ttlMs} ms: every node of a bucket must use the bucket's TTL`,
      );
    }
    return new LeaseStore(kv, js, options.bucket, ttl, timeoutMs);
  }

  /** Reads every key's last entry in one pass (an ordered consumer, last value per subject). */
  async snapshot(): Promise<BucketSnapshot> {
    const nodes = new Map<string, NodeRecord>();
    const leases = new Map<string, { holder: string; revision: number }>();
    const released = new Map<string, number>();
    const stream = `KV_${this.bucket}`;
    const prefix = `$KV.${this.bucket}.`;
    const consumer = await this.js.consumers.get(stream, { filter_subjects: `${prefix}>`, deliver_policy: DeliverPolicy.LastPerSubject });
    try {
      const expected = (await consumer.info(true)).num_pending;
      if (expected > 0) {
        // Not max_messages = expected: a key written meanwhile is delivered again at the end (its
        // older entry is gone), so read until nothing is pending. The server accepts no pull shorter than 1 s.
        const messages = await consumer.fetch({ max_messages: expected + 10_000, expires: Math.max(1000, this.timeoutMs) });
        for await (const m of messages) {
          const key = m.subject.slice(prefix.length);
          const op = m.headers?.get('KV-Operation');
          if (key.startsWith(PAIR_PREFIX)) {
            if (op === 'DEL' || op === 'PURGE') released.set(pairOfKey(key), m.seq);
            else leases.set(pairOfKey(key), { holder: parse<LeaseRecord>(m.data)?.node ?? '', revision: m.seq });
          } else if (key.startsWith(NODE_PREFIX) && op !== 'DEL' && op !== 'PURGE') {
            const rec = parse<NodeRecord>(m.data);
            if (rec?.node) nodes.set(rec.node, rec);
          }
          if (m.info.pending === 0) break;
        }
      }
    } finally {
      void consumer.delete().catch(() => undefined);
    }
    return { nodes, leases, released };
  }

  async heartbeat(record: NodeRecord): Promise<void> {
    await this.kv.put(NODE_PREFIX + record.node, encode(record), { timeout: this.timeoutMs });
  }

  async removeNode(node: string): Promise<void> {
    await this.kv.delete(NODE_PREFIX + node);
  }

  /**
   * Claims a free pair: create-if-absent, or, when its last holder released it, a compare-and-set
   * on the release marker's revision. Returns the lease's revision, or undefined if another node
   * was first.
   */
  async claim(pair: string, record: LeaseRecord, releasedRevision?: number): Promise<number | undefined> {
    try {
      return releasedRevision === undefined
        ? await this.kv.create(pairKey(pair), encode(record))
        : await this.kv.update(pairKey(pair), encode(record), releasedRevision, this.timeoutMs);
    } catch (err) {
      if (isConflict(err)) return undefined;
      throw err;
    }
  }

  /** Renews a held lease (compare-and-set on its revision); a conflict (isConflict) means it is gone. */
  renew(pair: string, record: LeaseRecord, revision: number): Promise<number> {
    return this.kv.update(pairKey(pair), encode(record), revision, this.timeoutMs);
  }

  /** Releases a held lease (a delete marker, only if still at `revision`); false if it had moved. */
  async release(pair: string, revision: number): Promise<boolean> {
    try {
      await this.kv.delete(pairKey(pair), { previousSeq: revision });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** Calls `onChange` on every release, new node or node leaving (updates only, headers only). */
  async watch(onChange: (kind: 'pair-released' | 'node-joined' | 'node-left', id: string) => void): Promise<() => void> {
    const iter = await this.kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly, headers_only: true });
    void (async () => {
      for await (const e of iter) {
        const released = e.operation === 'DEL' || e.operation === 'PURGE';
        if (e.key.startsWith(PAIR_PREFIX)) {
          if (released) onChange('pair-released', pairOfKey(e.key));
        } else if (e.key.startsWith(NODE_PREFIX)) {
          onChange(released ? 'node-left' : 'node-joined', e.key.slice(NODE_PREFIX.length));
        }
      }
    })().catch(() => undefined);
    return () => iter.stop();
  }
}

function encode(value: unknown): Uint8Array {
  return codec.encode(JSON.stringify(value));
}

function parse<T>(data: Uint8Array): T | undefined {
  try {
    return JSON.parse(decoder.decode(data)) as T;
  } catch {
    return undefined;
  }
}
