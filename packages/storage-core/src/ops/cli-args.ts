import { StorageError } from '../errors';

/**
 * `--some-flag value` / `--some-flag=value` / `--flag` (boolean) into `{ someFlag: value }`.
 * Repeated flags collect into arrays. Positional words are returned separately. Shared by both
 * apps' command lines so flags behave the same.
 */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): { flags: Record<string, unknown>; positional: string[] } {
  const flags: Record<string, unknown> = {};
  const positional: string[] = [];
  const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = camel(arg.slice(2, eq === -1 ? undefined : eq));
    let value: unknown;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (booleans.includes(name)) value = true;
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new StorageError('INVALID_OPTION', `flag --${arg.slice(2)} needs a value`, name);
      value = argv[++i];
    }
    if (name in flags) flags[name] = ([] as unknown[]).concat(flags[name], value);
    else flags[name] = value;
  }
  return { flags, positional };
}
