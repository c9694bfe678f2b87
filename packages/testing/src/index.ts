export * from './child-app';
export * from './realdata';
export * from './seeded-random';
export { TestingError, type TestingErrorCode } from './errors';
export * from './nats-server';
export { freePort } from './free-port';
export * from './nats-tls';
export * from './nats-jwt';
export * from './nats-proxy';
