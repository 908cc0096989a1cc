export { ClaimStore, checkClaim, claimKey, parseClaimUri } from './claim-store';
export type { ClaimPointer, ClaimStoreOptions } from './claim-store';
export { resolveClaimCheck } from './resolve';
export type { ClaimReader, ClaimedEnvelope } from './resolve';
