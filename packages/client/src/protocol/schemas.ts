import { z } from 'zod';
import { PAIR_ID_PATTERN, SUBSCRIBE_LIMITS } from './messages';

/**
 * The protocol's messages as zod schemas: the one definition both ends check against (the client
 * decodes what the ingester sends, the ingester decodes what a subscriber sends).
 */

const pairId = z.string().regex(PAIR_ID_PATTERN, { error: 'must be exchange:marketType:symbol, each part [A-Za-z0-9][A-Za-z0-9_-]{0,63}' });

const side = z.enum(['BUY', 'SELL']);

/** Trade ids are short tokens (Binance numbers, Bybit UUIDs): non-empty, at most 128 characters. */
const tradeId = z.string().min(1).max(128);

export const tickRowSchema = z.tuple([z.number(), z.number().positive(), z.number().nonnegative(), side, tradeId]);

export const pairsMessageSchema = z.object({
  type: z.literal('pairs'),
  pairs: z.array(pairId),
  pending: z.array(pairId).optional(),
});

export const ticksMessageSchema = z.object({
  type: z.literal('ticks'),
  pair: pairId,
  replay: z.boolean(),
  rows: z.array(tickRowSchema),
  committedAt: z.number().optional(),
});

export const replayedMessageSchema = z.object({
  type: z.literal('replayed'),
  pair: pairId,
  rows: z.number().int().nonnegative(),
});

export const errorMessageSchema = z.object({
  type: z.literal('error'),
  code: z.enum(['SUBSCRIPTION_REJECTED', 'TOO_SLOW', 'OVERLOADED', 'REPLAY_FAILED', 'SHUTTING_DOWN']),
  message: z.string(),
});

export const serverMessageSchema = z.discriminatedUnion('type', [pairsMessageSchema, ticksMessageSchema, replayedMessageSchema, errorMessageSchema]);

const { minCursorMs, maxCursorMs } = SUBSCRIBE_LIMITS;
const cursorValue = z
  .number({ error: 'must be epoch milliseconds (a number)' })
  .min(minCursorMs, { error: (issue) => `must be epoch ms from ${minCursorMs} (1970-01-01); got ${String(issue.input)}` })
  .max(maxCursorMs, { error: (issue) => `must be epoch ms up to ${maxCursorMs} (2200-01-01); got ${String(issue.input)}` });

/** A subscribe message whose pair lists and cursor hold at most `maxPairs` entries. */
export function subscribeMessageSchema(maxPairs: number) {
  return z.object({
    type: z.literal('subscribe', { error: 'expected {"type":"subscribe", ...}' }),
    pairs: z.union([z.literal('*'), z.array(pairId).min(1, { error: 'name at least one pair, or "*" for all' }).max(maxPairs)], {
      error: (issue) =>
        Array.isArray(issue.input) && issue.input.length > maxPairs
          ? `at most ${maxPairs} pairs per subscription; got ${issue.input.length}`
          : `must be "*" or a list of 1 to ${maxPairs} pair ids`,
    }),
    cursor: z
      .record(pairId, cursorValue)
      .refine((cursor) => Object.keys(cursor).length <= maxPairs, { error: `at most ${maxPairs} cursor entries` })
      .optional(),
  });
}
