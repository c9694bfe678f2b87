import type { FeedSink, FeedState } from '../feeds/feed';

/** Reports a feed's state to its sink in the contract's shape. */
export function reportStatus(sink: FeedSink, feed: string, state: FeedState, detail?: string): void {
  sink.status({ type: 'status', feed, state, ...(detail === undefined ? {} : { detail }) });
}

/**
 * How a finite feed's producing loop ends, the same for replay and synthetic: 'done' (or
 * 'stopped' when stop() ended it) and `done` resolves; on an error 'stopped' with the message and
 * `done` rejects.
 */
export function finishRun(
  run: Promise<unknown>,
  sink: FeedSink,
  feed: string,
  settle: { stopping(): boolean; resolve(): void; reject(error: unknown): void },
): Promise<void> {
  return run.then(
    () => {
      reportStatus(sink, feed, settle.stopping() ? 'stopped' : 'done');
      settle.resolve();
    },
    (error: unknown) => {
      reportStatus(sink, feed, 'stopped', error instanceof Error ? error.message : String(error));
      settle.reject(error);
    },
  );
}
