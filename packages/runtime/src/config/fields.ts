import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import * as path from 'node:path';
import { z } from 'zod';

/**
 * The kind of value a setting takes. `type` validates a value from any source: text from a flag or
 * an environment variable, or a JSON value from the config file; `form` says what it accepts, for
 * error messages and --help.
 */
export interface Field<T> {
  readonly type: z.ZodType<T>;
  readonly form: string;
  /** Shown after the flag in --help (`--data-dir DIR`); empty for a switch. */
  readonly placeholder: string;
  /** A flag without a value (`--offline`); `true`/`false` in the environment or the file. */
  readonly switch?: boolean;
  /** Repeatable: the flag may be given again, the environment and the file may give several (see `separator`). */
  readonly list?: boolean;
  /** Splits one flag or environment value of a list into items; null: one item per flag (paths). */
  readonly separator?: string | null;
  /** 'input': the value as given is a secret (never echoed); 'value': what it turns into is (a token read from a file). */
  readonly sensitive?: 'input' | 'value';
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Numbers come as JSON numbers (file) or text (flags, environment): both, strictly. */
const numeric = (pattern: RegExp) => z.union([z.number(), z.string().trim().regex(pattern).transform(Number)]);

export function integer(min: number, max: number, placeholder = 'N'): Field<number> {
  return { type: numeric(INTEGER_TEXT).pipe(z.number().int().min(min).max(max)), form: `an integer ${min}..${max}`, placeholder };
}

export function decimal(min: number, max: number, placeholder = 'X'): Field<number> {
  return { type: numeric(NUMBER_TEXT).pipe(z.number().finite().min(min).max(max)), form: `a number ${min}..${max}`, placeholder };
}

const BOOLEAN_TEXT: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };
const booleanType = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => s in BOOLEAN_TEXT)
    .transform((s) => BOOLEAN_TEXT[s]),
]);

/** A flag that takes `true`/`false` (`--realtime false`). */
export function boolean(): Field<boolean> {
  return { type: booleanType, form: 'true or false', placeholder: 'true|false' };
}

/** A flag with no value (`--offline`). */
export function switchFlag(): Field<boolean> & { readonly switch: true } {
  return { type: booleanType, form: 'true or false', placeholder: '', switch: true as const };
}

export function choice<const V extends string>(values: readonly [V, ...V[]]): Field<V> {
  return { type: z.enum(values as [V, ...V[]]), form: `one of ${values.join(', ')}`, placeholder: values.join('|') };
}

export function text(placeholder: string, form = 'a non-empty text'): Field<string> {
  return { type: z.string().trim().min(1), form, placeholder };
}

/** A file or directory path, made absolute against the working directory. */
export function pathField(placeholder = 'PATH'): Field<string> {
  return { type: z.string().trim().min(1).transform((p) => path.resolve(p)), form: 'a path', placeholder };
}

/** Text turned into a value by `parse`; what it throws becomes the error's detail. */
export function parsed<T>(parse: (text: string) => T, form: string, placeholder: string): Field<T> {
  return {
    type: z.string().transform((s, ctx) => {
      try {
        return parse(s.trim());
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
        return z.NEVER;
      }
    }),
    form,
    placeholder,
  };
}

export function url(schemes: readonly string[], placeholder = 'URL'): Field<string> {
  const pattern = new RegExp(`^(${schemes.join('|')})://[^\\s/?#]+[^\\s]*$`);
  return { type: z.string().trim().regex(pattern), form: `a URL (${schemes.map((s) => `${s}://`).join(', ')})`, placeholder };
}

/** A DuckDB memory size with a unit of at least KB (a bare byte count here is a typo, not a buffer pool). */
export function byteSize(): Field<string> {
  return { type: z.string().trim().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i), form: 'a size like 64MB (KB, MB, GB, KiB, MiB, GiB)', placeholder: 'SIZE' };
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[v6]:port`; an address that looks like dotted IPv4 must be one (256.1.1.1 is not). */
export function listenAddress(): Field<ListenAddress> {
  return parsed(
    (s) => {
      const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
      if (!m) throw new Error('expected host:port, e.g. 127.0.0.1:8090 or [::1]:8090');
      const host = m[1] ?? m[2];
      const port = Number(m[3]);
      if (port > 65535) throw new Error(`port ${port} is over 65535`);
      if (m[1] !== undefined && !isIPv6(host)) throw new Error(`${host} is not an IPv6 address`);
      if (/^[\d.]+$/.test(host) && !isIPv4(host)) throw new Error(`${host} is not a valid IPv4 address`);
      if (m[2] !== undefined && !isIPv4(host) && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) {
        throw new Error(`${host} is not an IP address or host name`);
      }
      return { host, port };
    },
    'host:port (port 0..65535, 0 = any free port)',
    'HOST:PORT',
  );
}

/** Several values of `item`: repeated flags, a list in the file, separated text in a flag or the environment. */
export function list<T>(item: Field<T>, options: { readonly separator?: string | null; readonly placeholder?: string } = {}): Field<T[]> & { readonly list: true } {
  const separator = options.separator === undefined ? ',' : options.separator;
  const split = (v: unknown): unknown[] =>
    typeof v === 'string' && separator !== null ? v.split(separator).map((s) => s.trim()).filter((s) => s !== '') : [v];
  return {
    type: z.union([z.array(z.unknown()), z.string()]).transform((v) => (Array.isArray(v) ? v : [v]).flatMap(split)).pipe(z.array(item.type)),
    form: `${item.form}${separator === null ? '' : `, or several separated by "${separator}"`}`,
    placeholder: options.placeholder ?? `${item.placeholder}${separator === null ? '' : `${separator}...`}`,
    list: true as const,
    separator,
  };
}

/**
 * A path, turned into what `read` makes of the file it names (given the absolute path) when the
 * configuration is loaded; a file that cannot be read fails the setting with the path and the
 * system's code (ENOENT, EACCES), not a stack trace.
 */
function readFileAt<T>(read: (absolutePath: string) => T) {
  return z
    .string()
    .trim()
    .min(1)
    .transform((p, ctx) => {
      try {
        return read(path.resolve(p));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `cannot read ${p}: ${(err as { code?: string }).code ?? (err as Error).message}` });
        return z.NEVER;
      }
    });
}

/** A file's contents (certificates, keys): read when the configuration is loaded. */
export function fileContents(placeholder = 'FILE'): Field<Buffer> {
  return { type: readFileAt((file) => readFileSync(file)), form: 'a readable file', placeholder };
}

export const MIN_SECRET_LENGTH = 16;

const secretText = (where: string) =>
  z
    .string()
    .trim()
    .refine((s) => s.length >= MIN_SECRET_LENGTH, { message: `${where} is shorter than ${MIN_SECRET_LENGTH} characters` })
    .refine((s) => !/\s/.test(s), { message: `${where} holds white space` });

/** A token, given in a file (first line, trimmed); at least 16 characters. */
export function secretFile(placeholder = 'FILE'): Field<string> {
  return {
    type: readFileAt((file) => readFileSync(file, 'utf8').split('\n')[0]).pipe(secretText('the token in the file')),
    form: `a readable file whose first line is the token (${MIN_SECRET_LENGTH}+ characters, no spaces)`,
    placeholder,
    sensitive: 'value',
  };
}

/** A token given directly (environment only: never a flag, which `ps` shows). */
export function secret(): Field<string> {
  return { type: secretText('the token'), form: `a token of ${MIN_SECRET_LENGTH}+ characters, no spaces`, placeholder: 'TOKEN', sensitive: 'input' };
}
