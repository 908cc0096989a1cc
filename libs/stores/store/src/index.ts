export type { StoreConnection, StoreKind } from './store';
