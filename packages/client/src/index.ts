export { ClientError, type ClientErrorCode } from './errors';
