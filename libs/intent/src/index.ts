export { canonicalKey, canonicalKeyString } from './canonical-key';
export { HybridLogicalClock } from './clock';
export { IntentFormatError, IntentMalformedError } from './errors';
export {
  INTENT_FORMAT_VERSION,
  READABLE_INTENT_FORMAT_VERSIONS,
  decodeIntent,
  encodeIntent,
  intentFormatVersion,
} from './intent-codec';
export type { Intent, IntentOp } from './intent-codec';
export { intentIdFromString, intentIdToString, newIntentId } from './intent-id';
export { keyScalarFromJson, keyScalarToJson } from './key-value';
export type { KeyColumn, KeyScalar } from './key-value';
