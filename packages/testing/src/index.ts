export * from './child-app';
export * from './chromium';
export * from './realdata';
export * from './seeded-random';
export { TestingError, type TestingErrorCode } from './errors';
