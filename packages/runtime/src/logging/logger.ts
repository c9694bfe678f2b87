import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The apps' logging interface: `(msg, fields)` as every call site in both apps already writes
 * it, so pino stays an implementation detail and a test can pass a silent or capturing logger.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines all carry `fields` (a pair, a feed, a component); serialized once. */
  child(fields: Record<string, unknown>): Logger;
}

/** DI token of the app's Logger (registered only in a composition root). */
export const LOGGER = Symbol.for('market-data.Logger');

export interface LoggerOptions {
  readonly level?: LogLevel | 'silent';
  /** Fields on every line (e.g. `{ app: 'ingest' }`). */
  readonly base?: Record<string, unknown>;
  /** Where lines go, one JSON object per call without the newline; default: stderr. */
  readonly write?: (line: string) => void;
}

/** Error values anywhere in a line's fields become `{ name, message, code }` (pino would print `{}`). */
function serializeErrors(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in fields) {
    const value = fields[key];
    if (value instanceof Error) {
      out ??= { ...fields };
      const code = (value as { code?: unknown }).code;
      out[key] = { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
    }
  }
  return out ?? fields;
}

function wrap(p: PinoLogger): Logger {
  return {
    debug: (msg, fields) => (fields ? p.debug(fields, msg) : p.debug(msg)),
    info: (msg, fields) => (fields ? p.info(fields, msg) : p.info(msg)),
    warn: (msg, fields) => (fields ? p.warn(fields, msg) : p.warn(msg)),
    error: (msg, fields) => (fields ? p.error(fields, msg) : p.error(msg)),
    child: (fields) => wrap(p.child(serializeErrors(fields))),
  };
}

/**
 * JSON lines through pino: `{"level":"info","time":"<ISO>","pid":..,...base,"msg":..,...fields}`,
 * on stderr by default (stdout stays free for reports), written synchronously so the last lines
 * before an exit are never lost.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write;
  const destination: DestinationStream = write
    ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) }
    : pino.destination({ dest: 2, sync: true });
  return wrap(
    pino(
      {
        level: options.level ?? 'info',
        base: { pid: process.pid, ...options.base },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }), log: serializeErrors },
      },
      destination,
    ),
  );
}

/** A logger that writes nothing (tests, embedders). */
export const SILENT_LOGGER: Logger = createLogger({ level: 'silent', write: () => undefined });
