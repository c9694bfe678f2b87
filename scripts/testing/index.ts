export * from './child-app';
export * from './realdata';
export * from './seeded-random';
