export { RuntimeError, type RuntimeErrorCode } from './errors';
export * from './leases';
