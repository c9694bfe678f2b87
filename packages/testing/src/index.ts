export * from './child-app';
export * from './realdata';
export * from './seeded-random';
export * from './tls-fixtures';
export { TestingError, type TestingErrorCode } from './errors';
