export { DataPlaneEnv, dataPlaneSettings } from './data-plane-config';
export type { DataPlaneSettings, RepositorySettings } from './data-plane-config';
export { kafkaCheck, serviceReadiness } from './readiness';
export { connectRepository } from './repository';
export type { RepositoryConnection } from './repository';
export { openStores, repositoryModels } from './stores';
export type { ModelSchemas, OpenStores, StoreContext, StoreTuning } from './stores';
