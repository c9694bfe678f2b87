export { ClientError, type ClientErrorCode } from './errors';
export * from './nats';
