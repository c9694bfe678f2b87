import type { ConfigSchema } from './config-schema';
import type { AnySetting } from './setting';

const WIDTH = 100;

function wrap(text: string, indent: number, first: string): string[] {
  const lines: string[] = [];
  let line = first.padEnd(indent);
  if (first !== '' && first.length >= indent) {
    lines.push(first.trimEnd());
    line = ''.padEnd(indent);
  }
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.trim() !== '' && line.length + 1 + word.length > WIDTH && line.length > indent) {
      lines.push(line.trimEnd());
      line = ''.padEnd(indent);
    }
    line += (line.length > indent ? ' ' : '') + word;
  }
  lines.push(line.trimEnd());
  return lines;
}

function describe(s: AnySetting): string {
  const isEmptyList = Array.isArray(s.default) && s.default.length === 0;
  const def = s.defaultText ?? (s.default === undefined || s.switch || isEmptyList ? undefined : String(s.default));
  const form = s.switch ? undefined : s.form;
  const extra = [form, def === undefined ? undefined : `default ${def}`, s.list ? 'repeatable' : undefined].filter(Boolean).join('; ');
  return `${s.help}${extra ? ` (${extra})` : ''}`;
}

/**
 * The settings part of an app's --help, generated from its schema: every flag with its value's
 * form and default, then the environment-only settings, then how environment variables and the
 * config file name the same settings.
 */
export function formatSettingsHelp<S extends Record<string, AnySetting>>(schema: ConfigSchema<S>, options: { readonly indent?: number } = {}): string {
  const indent = options.indent ?? 32;
  const keys = Object.keys(schema.settings) as (keyof S & string)[];
  const lines: string[] = [];
  for (const key of keys.filter((k) => schema.sources(k).includes('flag'))) {
    const s = schema.settings[key];
    lines.push(...wrap(describe(s), indent, `  ${schema.flag(key)}${s.placeholder ? ` ${s.placeholder}` : ''}  `));
  }
  lines.push(...wrap('a JSON object of settings by their camelCase names, e.g. {"dataDir": "/srv/md"}', indent, '  --config FILE  '));
  lines.push(...wrap('this text', indent, '  --help  '));
  const envOnly = keys.filter((k) => !schema.sources(k).includes('flag'));
  if (envOnly.length > 0) {
    lines.push('', 'Environment only (a flag would show in ps):');
    for (const key of envOnly) {
      const s = schema.settings[key];
      lines.push(...wrap(describe(s), indent, `  ${schema.envName(key)}=${s.placeholder}  `));
    }
  }
  const example = keys.find((k) => schema.sources(k).includes('env') && schema.sources(k).includes('flag')) ?? keys[0];
  lines.push(
    '',
    ...wrap(
      `Every flag is also an environment variable ${schema.options.envPrefix}<NAME> (${schema.flag(example)}: ${schema.envName(example)}; ` +
        `lists separated by commas) and a key of the --config file (${JSON.stringify(example)}; lists as JSON arrays); ` +
        `${schema.options.envPrefix}CONFIG names the file. Flags win over the environment, the environment over the file.`,
      0,
      '',
    ),
  );
  return lines.join('\n');
}
