/** Stable codes for what the test helpers refuse (a server that will not start, a missing binary or fixture, a bad option). */
export type TestingErrorCode =
  | 'SERVER_START_FAILED'
  | 'BINARY_MISSING'
  | 'TIMEOUT'
  | 'FIXTURE_MISSING'
  | 'BAD_ARGUMENT'
  | 'NO_CONNECTION'
  // An app's HTTP endpoint (/metrics) answered with an error status.
  | 'BAD_RESPONSE';

/** The one error class of this package. */
export class TestingError extends Error {
  override readonly name = 'TestingError';
  constructor(
    readonly code: TestingErrorCode,
    message: string,
  ) {
    super(message);
  }
}
