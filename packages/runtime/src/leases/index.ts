export * from './lease-events';
export * from './lease-options';
export { LeaseStore, pairKey, type BucketSnapshot, type LeaseRecord, type NodeRecord, type LeaseStoreOptions } from './lease-store';
export * from './pair-lease-manager';
export { assignPairs, rendezvousScore } from './rendezvous';
export * from './tokens';
export * from './register-pair-leases';
