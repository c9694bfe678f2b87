export * from './errors';
export * from './tables';
