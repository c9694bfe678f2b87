/** Stable codes for everything `@market-data/runtime` rejects. */
export type RuntimeErrorCode =
  | 'INVALID_CONFIG'
  | 'LISTEN_FAILED'
  | 'UNAUTHORIZED_LISTENER'
  // leases/: the lease bucket cannot be created or read (the bus is down or refuses JetStream).
  | 'LEASES_UNAVAILABLE';

/** The one error class of this package: bad configuration or a listener that cannot start. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  /** For INVALID_CONFIG: the setting's camelCase key, when one setting is at fault. */
  readonly setting?: string;
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: { cause?: unknown; setting?: string },
  ) {
    super(message, options);
    if (options?.setting !== undefined) this.setting = options.setting;
  }
}
