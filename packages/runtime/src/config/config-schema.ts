import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RuntimeError } from '../errors';
import { ALL_SOURCES, envSuffix, flagName, type AnySetting, type SettingSource, type SettingValues } from './setting';

export interface ConfigSchemaOptions<S extends Record<string, AnySetting>> {
  /** The command's name, for --help. */
  readonly app: string;
  /** Every environment variable of the app starts with it, e.g. `MARKET_DATA_INGEST_`. */
  readonly envPrefix: string;
  readonly settings: S;
}

export interface LoadInput {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Words that are not flags (a subcommand); none unless allowed. */
  readonly allowPositionals?: boolean;
}

/** Where a value came from, as the user wrote it: `--max-batch`, `MARKET_DATA_..._MAX_BATCH`, `maxBatch in f.json`. */
export interface Origin {
  readonly source: SettingSource | 'default';
  readonly name: string;
}

export interface LoadedConfig<S extends Record<string, AnySetting>> {
  readonly values: SettingValues<S>;
  readonly positionals: readonly string[];
  readonly origins: Readonly<Partial<Record<keyof S & string, Origin>>>;
  /** The config file read, if any. */
  readonly configFile?: string;
}

const CONFIG_KEY = 'config';

interface IssueLike {
  readonly code: string;
  readonly message: string;
  readonly errors?: readonly (readonly IssueLike[])[];
}

/** The message of the first custom issue (a parser's own words), searched into union branches too. */
function customMessage(issues: readonly IssueLike[]): string | undefined {
  for (const issue of issues) {
    if (issue.code === 'custom') return issue.message;
    for (const branch of issue.errors ?? []) {
      const found = customMessage(branch);
      if (found) return found;
    }
  }
  return undefined;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * An app's settings, loaded alike from flags, environment variables and a JSON config file
 * (flags over environment over file over defaults), each value validated by its setting's zod
 * type. Every name is derived from the setting's camelCase key (`maxBatch`: `--max-batch`,
 * `<prefix>MAX_BATCH`, `"maxBatch"` in the file), and --help is generated from the same
 * settings, so the documented flags and the accepted ones cannot drift apart.
 */
export class ConfigSchema<S extends Record<string, AnySetting>> {
  constructor(readonly options: ConfigSchemaOptions<S>) {
    for (const key of Object.keys(options.settings)) {
      if (!/^[a-z][a-zA-Z0-9]*$/.test(key) || key === CONFIG_KEY || key === 'help') throw new TypeError(`setting key ${key} is not a free camelCase name`);
    }
  }

  get settings(): S {
    return this.options.settings;
  }

  flag(key: keyof S & string): string {
    return `--${flagName(key)}`;
  }

  envName(key: keyof S & string): string {
    return `${this.options.envPrefix}${envSuffix(key)}`;
  }

  sources(key: keyof S & string): readonly SettingSource[] {
    return this.settings[key].sources ?? ALL_SOURCES;
  }

  /** How the user names a setting when it was not given: its flag, or its variable if it has no flag. */
  label(key: keyof S & string): string {
    return this.sources(key).includes('flag') ? this.flag(key) : this.envName(key);
  }

  /** An error about a setting (e.g. a rule across settings), naming it as the user gave it. */
  invalid(key: keyof S & string, message: string, origin?: Origin): RuntimeError {
    const name = origin && origin.source !== 'default' ? origin.name : this.label(key);
    return new RuntimeError('INVALID_CONFIG', `${name}: ${message}`, { setting: key });
  }

  /** True when argv asks for --help (then nothing else is validated). */
  wantsHelp(argv: readonly string[]): boolean {
    const end = argv.indexOf('--');
    return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
  }

  load(input: LoadInput): LoadedConfig<S> {
    const { flags, positionals } = this.parseFlags(input);
    const env = input.env ?? {};
    const fromEnv = this.readEnv(env);
    const configFile = typeof flags[CONFIG_KEY] === 'string' ? (flags[CONFIG_KEY] as string) : env[`${this.options.envPrefix}CONFIG`];
    const fromFile = configFile ? this.readFile(configFile) : {};
    const values: Record<string, unknown> = {};
    const origins: Record<string, Origin> = {};
    for (const key of Object.keys(this.settings) as (keyof S & string)[]) {
      const s = this.settings[key];
      let raw: unknown;
      let origin: Origin;
      if (flags[key] !== undefined) [raw, origin] = [flags[key], { source: 'flag', name: this.flag(key) }];
      else if (fromEnv[key] !== undefined) [raw, origin] = [fromEnv[key], { source: 'env', name: this.envName(key) }];
      else if (fromFile[key] !== undefined) [raw, origin] = [fromFile[key], { source: 'file', name: `${key} in ${configFile}` }];
      else if (s.default !== undefined) [raw, origin] = [s.default, { source: 'default', name: `the default of ${this.label(key)}` }];
      else continue;
      const result = s.type.safeParse(raw);
      if (!result.success) {
        const detail = customMessage(result.error.issues);
        // For a list, the item at fault rather than the whole list.
        const index = s.list ? result.error.issues.map((i) => i.path[0]).find((p) => typeof p === 'number') : undefined;
        const items = Array.isArray(raw) ? raw : typeof raw === 'string' && s.separator ? raw.split(s.separator).map((x) => x.trim()).filter(Boolean) : [raw];
        const shown = s.sensitive === 'input' ? '(hidden)' : show(index === undefined ? raw : items[index]);
        throw this.invalid(key, `must be ${s.form}; got ${shown}${detail ? ` (${detail})` : ''}`, origin);
      }
      values[key] = result.data;
      origins[key] = origin;
    }
    return { values: values as SettingValues<S>, positionals, origins: origins as LoadedConfig<S>['origins'], configFile: configFile ? path.resolve(configFile) : undefined };
  }

  private parseFlags(input: LoadInput): { flags: Record<string, unknown>; positionals: string[] } {
    const byFlag = new Map<string, keyof S & string>();
    const options: NonNullable<ParseArgsConfig['options']> = { [CONFIG_KEY]: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
    for (const key of Object.keys(this.settings) as (keyof S & string)[]) {
      if (!this.sources(key).includes('flag')) continue;
      const s = this.settings[key];
      options[flagName(key)] = { type: s.switch ? 'boolean' : 'string', multiple: Boolean(s.list) };
      byFlag.set(flagName(key), key);
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: [...input.argv], options, strict: true, allowPositionals: Boolean(input.allowPositionals), tokens: true });
    } catch (err) {
      throw new RuntimeError('INVALID_CONFIG', `${this.flagError(err)} (see --help)`, { cause: err });
    }
    const seen = new Set<string>();
    for (const token of parsed.tokens ?? []) {
      if (token.kind !== 'option') continue;
      const key = byFlag.get(token.name);
      if (key && !this.settings[key].list && seen.has(key)) throw this.invalid(key, 'given more than once; give it once');
      if (key) seen.add(key);
    }
    const flags: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(parsed.values)) {
      if (name === CONFIG_KEY) flags[CONFIG_KEY] = value;
      const key = byFlag.get(name);
      if (key) flags[key] = value;
    }
    return { flags, positionals: parsed.positionals };
  }

  private flagError(err: unknown): string {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message.split('\n')[0];
    const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${option ?? message}`;
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return message.replace('positional arguments', 'arguments other than flags');
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
      const key = [...Object.keys(this.settings)].find((k) => `--${flagName(k)}` === option);
      if (/argument missing|ambiguous/.test(message)) {
        return `${option} needs a value${key ? ` (${this.settings[key].form})` : ''}; a value starting with - goes as ${option}=VALUE`;
      }
      if (/does not take an argument/.test(message)) return `${option} is a switch and takes no value`;
    }
    return message;
  }

  private readEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
    const prefix = this.options.envPrefix;
    const bySuffix = new Map(Object.keys(this.settings).map((k) => [envSuffix(k), k as keyof S & string]));
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(env)) {
      if (!name.startsWith(prefix) || value === undefined) continue;
      const suffix = name.slice(prefix.length);
      if (suffix === 'CONFIG') continue;
      const key = bySuffix.get(suffix);
      if (!key) throw new RuntimeError('INVALID_CONFIG', `${name}: unknown setting (see --help for the environment variables)`);
      if (!this.sources(key).includes('env')) throw this.invalid(key, `cannot be set from the environment (${name})`);
      out[key] = value;
    }
    return out;
  }

  private readFile(file: string): Record<string, unknown> {
    const problem = (why: string): RuntimeError => new RuntimeError('INVALID_CONFIG', `--config ${file}: ${why}`, { setting: CONFIG_KEY });
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw problem(`cannot read it (${(err as { code?: string }).code ?? (err as Error).message})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw problem(`not valid JSON: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw problem('must hold a JSON object of settings by their camelCase names');
    for (const key of Object.keys(parsed)) {
      if (!(key in this.settings)) throw problem(`unknown setting "${key}" (settings are the flags' camelCase names, e.g. "${Object.keys(this.settings)[0]}")`);
      if (!this.sources(key).includes('file')) throw problem(`"${key}" cannot be set in a file; ${this.sources(key).includes('env') ? `use ${this.envName(key)}` : 'see --help'}`);
    }
    return parsed as Record<string, unknown>;
  }
}

export function defineConfig<S extends Record<string, AnySetting>>(options: ConfigSchemaOptions<S>): ConfigSchema<S> {
  return new ConfigSchema(options);
}
