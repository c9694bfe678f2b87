import type { Field } from './fields';

/** Where a setting's value may come from. */
export type SettingSource = 'flag' | 'env' | 'file';
export const ALL_SOURCES: readonly SettingSource[] = ['flag', 'env', 'file'];

export interface SettingMeta {
  /** One line for --help: what it does (its form and default are added). */
  readonly help: string;
  /** Shown as the default in --help when `default` is absent or says too little. */
  readonly defaultText?: string;
  /** Default: every source. A secret is environment-only: a flag's value shows in `ps`. */
  readonly sources?: readonly SettingSource[];
}

/**
 * One setting of an app: a field (what it accepts), help, and an optional default given as an
 * input value and validated like any other, so a default cannot break its own schema.
 * `D` records at the type level whether there is a default (then the value is never undefined).
 */
export interface Setting<T, D extends boolean = boolean> extends Field<T>, SettingMeta {
  readonly default?: unknown;
  readonly hasDefault: D;
}

export function setting<T>(field: Field<T> & ({ readonly switch: true } | { readonly list: true }), meta: SettingMeta): Setting<T, true>;
export function setting<T>(field: Field<T>, meta: SettingMeta & { readonly default: unknown }): Setting<T, true>;
export function setting<T>(field: Field<T>, meta: SettingMeta): Setting<T, false>;
export function setting<T>(field: Field<T>, meta: SettingMeta & { readonly default?: unknown }): Setting<T, boolean> {
  // Switches are off and lists empty unless given.
  const implicit = field.switch ? false : field.list ? [] : undefined;
  const def = meta.default ?? implicit;
  return { ...field, ...meta, default: def, hasDefault: def !== undefined };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySetting = Setting<any, boolean>;
export type SettingValues<S extends Record<string, AnySetting>> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T, true> ? T : S[K] extends Setting<infer T, boolean> ? T | undefined : never;
};

/** camelCase key -> kebab-case flag (`maxBatch` -> `max-batch`). */
export const flagName = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** camelCase key -> SCREAMING_SNAKE suffix of the environment variable (`maxBatch` -> `MAX_BATCH`). */
export const envSuffix = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
