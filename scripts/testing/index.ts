export * from './child-app';
export * from './realdata';
