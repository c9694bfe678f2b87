import type { JetStreamClient } from '@nats-io/jetstream';
import { ClientError } from '../errors';
import { parseBusPair } from './subjects';
import { consumeTrades, type TradeBatch, type TradeConsumerOptions, type TradeStart } from './trade-consumer';
import { sleep } from './transient';

export interface TradeConsumerGroupOptions extends Omit<TradeConsumerOptions, 'pair' | 'start' | 'signal' | 'onInvalid'> {
  /** Batches held for the reader across all pairs; beyond it every pair's pulls wait (default 256). */
  readonly bufferBatches?: number;
  readonly onInvalid?: (pair: string, error: ClientError, seq: number) => void;
  /** A pair's consumer failed for good (not a transient failure); it starts again from its cursor after a pause. */
  readonly onError?: (pair: string, error: unknown) => void;
}

interface Member {
  readonly controller: AbortController;
  done: Promise<void>;
}

/**
 * The batches of a changing set of pairs (an analytics node's pairs come and go with its
 * leases), merged into one async iterable: each pair in its stream order, pairs interleaved as
 * their batches arrive. One ordered consumer per pair (nats-server 2.9 filters a consumer by one
 * subject only). A shared buffer of `bufferBatches` bounds memory: when the reader falls behind,
 * every pair's consumer stops pulling. One reader at a time.
 */
export class TradeConsumerGroup implements AsyncIterable<TradeBatch> {
  private readonly members = new Map<string, Member>();
  private readonly queue: TradeBatch[] = [];
  private readonly capacity: number;
  private readonly spaceWaiters: (() => void)[] = [];
  private reader: ((r: IteratorResult<TradeBatch>) => void) | undefined;
  private closed = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: TradeConsumerGroupOptions = {},
  ) {
    this.capacity = options.bufferBatches ?? 256;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new ClientError('INVALID_OPTION', 'bufferBatches must be an integer >= 1');
  }

  /** Starts following `pair` from `start` (its resume cursor, typically `{ afterSeq }`). */
  add(pair: string, start: TradeStart): void {
    const id = parseBusPair(pair).id;
    if (this.closed) throw new ClientError('CLOSED', 'the consumer group is closed');
    if (this.members.has(id)) throw new ClientError('INVALID_OPTION', `pair ${id} is already in the group`);
    const member: Member = { controller: new AbortController(), done: Promise.resolve() };
    this.members.set(id, member);
    member.done = this.run(id, start, member);
  }

  /** Stops following `pair`; once this resolves, none of its batches is yielded any more. */
  async remove(pair: string): Promise<void> {
    const member = this.members.get(pair);
    if (!member) return;
    this.members.delete(pair);
    member.controller.abort();
    this.dropQueued((b) => b.pair === pair);
    await member.done;
  }

  has(pair: string): boolean {
    return this.members.has(pair);
  }

  pairs(): string[] {
    return [...this.members.keys()].sort();
  }

  /** Stops every pair and ends the iteration. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.members.keys()].map((p) => this.remove(p)));
    this.reader?.({ done: true, value: undefined });
    this.reader = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<TradeBatch> {
    return {
      next: () => {
        const batch = this.queue.shift();
        if (batch) {
          this.wakeWriters();
          return Promise.resolve({ done: false, value: batch });
        }
        if (this.closed) return Promise.resolve({ done: true, value: undefined });
        if (this.reader) return Promise.reject(new ClientError('INVALID_OPTION', 'a TradeConsumerGroup has one reader at a time'));
        return new Promise((resolve) => (this.reader = resolve));
      },
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  private async run(pair: string, start: TradeStart, member: Member): Promise<void> {
    const signal = member.controller.signal;
    let cursor = start;
    while (!signal.aborted) {
      try {
        for await (const batch of consumeTrades(this.js, {
          ...this.options,
          pair,
          start: cursor,
          signal,
          onInvalid: (error, seq) => this.options.onInvalid?.(pair, error, seq),
        })) {
          cursor = { afterSeq: batch.seq };
          await this.deliver(batch, member);
        }
      } catch (error) {
        if (signal.aborted) break;
        this.options.onError?.(pair, error);
        await sleep(1000, signal);
      }
    }
  }

  private async deliver(batch: TradeBatch, member: Member): Promise<void> {
    const signal = member.controller.signal;
    while (this.queue.length >= this.capacity && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.spaceWaiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
    if (member.controller.signal.aborted || this.members.get(batch.pair) !== member) return;
    const reader = this.reader;
    if (reader) {
      this.reader = undefined;
      reader({ done: false, value: batch });
    } else {
      this.queue.push(batch);
    }
  }

  private dropQueued(match: (b: TradeBatch) => boolean): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const b = this.queue[i];
      if (b && match(b)) this.queue.splice(i, 1);
    }
    this.wakeWriters();
  }

  /** Room was made: every waiting pair looks again (one of them may have been removed meanwhile). */
  private wakeWriters(): void {
    for (const wake of this.spaceWaiters.splice(0)) wake();
  }
}
