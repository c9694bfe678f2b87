import type { z } from 'zod';
import { ClientError, type ClientErrorCode } from '../errors';
import { SUBSCRIBE_LIMITS, type ServerMessage, type SubscribeMessage } from './messages';
import { serverMessageSchema, subscribeMessageSchema } from './schemas';

const KNOWN_SERVER_TYPES = new Set(['pairs', 'ticks', 'replayed', 'error']);

function text(data: string | Uint8Array): string {
  return typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}

function parseJson(data: string | Uint8Array, code: ClientErrorCode): unknown {
  try {
    return JSON.parse(text(data));
  } catch (err) {
    throw new ClientError(code, `not JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** The first few issues as `path: message`, so a refusal names what was wrong. */
function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'message'}: ${issue.message}`)
    .join('; ');
}

/**
 * Decodes one frame from the ingester. Returns null for a well-formed message of a type this
 * version does not know (a newer ingester may add some); throws ClientError PROTOCOL for anything
 * else that is not the protocol (bad JSON, wrong shape, a price of zero, an unknown side...).
 */
export function decodeServerMessage(data: string | Uint8Array): ServerMessage | null {
  const value = parseJson(data, 'PROTOCOL');
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
    throw new ClientError('PROTOCOL', 'expected a JSON object with a string "type"');
  }
  if (!KNOWN_SERVER_TYPES.has((value as { type: string }).type)) return null;
  const parsed = serverMessageSchema.safeParse(value);
  if (!parsed.success) throw new ClientError('PROTOCOL', `bad ${(value as { type: string }).type} message: ${describe(parsed.error)}`);
  return parsed.data;
}

const schemas = new Map<number, ReturnType<typeof subscribeMessageSchema>>();

/**
 * Decodes a subscriber's subscribe message (the ingester's side). Throws ClientError
 * INVALID_MESSAGE naming the offending field: not JSON, not a subscribe message, a bad pair id,
 * more than `maxPairs` pairs or cursor entries, a cursor outside 1970..2200.
 */
export function decodeSubscribeMessage(data: string | Uint8Array, options: { readonly maxPairs?: number } = {}): SubscribeMessage {
  const maxPairs = options.maxPairs ?? SUBSCRIBE_LIMITS.maxPairs;
  const value = parseJson(data, 'INVALID_MESSAGE');
  let schema = schemas.get(maxPairs);
  if (!schema) {
    schema = subscribeMessageSchema(maxPairs);
    schemas.set(maxPairs, schema);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ClientError('INVALID_MESSAGE', describe(parsed.error));
  return parsed.data;
}
