export * from './child-app';
export * from './realdata';
export * from './seeded-random';
export { TestingError, type TestingErrorCode } from './errors';
