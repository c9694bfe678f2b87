/**
 * Wall-clock time as the apps read it (epoch ms). A part that measures ages or latencies takes
 * it from the container, so a test can swap in a clock it controls.
 */
export interface Clock {
  now(): number;
}

/** DI token of the app's Clock (registered only in a composition root). */
export const CLOCK = Symbol.for('market-data.Clock');

export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };
