export { avroType, toWireFormat } from './avro';
export {
  DEAD_LETTER_HEADERS,
  MAX_DEAD_LETTER_MESSAGE,
  deadLetterHeaders,
  isDeadLetterCode,
  parseDeadLetterHeaders,
} from './dead-letter';
export type { DeadLetterCause, DeadLetterCode, DeadLetterFacts } from './dead-letter';
export {
  CLAIM_CHECK_CONTENT_TYPE,
  envelopeHasClaimCheck,
  envelopeSchemas,
  eventEnvelope,
} from './envelope';
export type {
  AvroField,
  ClaimCheck,
  EnvelopeOp,
  EnvelopeParts,
  EnvelopeSchemas,
  EventEnvelope,
} from './envelope';
export { intentJson } from './intent-json';
export type { IntentJson } from './intent-json';
export { CLAIM_CHECK_BYTES_BOUNDS, DEFAULT_CLAIM_CHECK_BYTES } from './model';
export type { ModelVersion, ModelVersionDetail } from './model';
export {
  CLUSTER_NAME,
  DEFAULT_CLUSTER,
  DEFAULT_FAILURE_MODE,
  DEFAULT_VISIBILITY_WINDOW_MS,
  IDENTIFIER,
  ROUTE_REVISION_HEADER,
  STORE_KINDS,
  VISIBILITY_WINDOW_MS_BOUNDS,
  checkRouteSpec,
  routeNamespace,
  routeTarget,
  sameLocation,
  tableNameProblem,
  checkRoute,
} from './route';
export type {
  Checked,
  DrainSource,
  FailureMode,
  IntentLocation,
  RouteListing,
  RouteSpec,
  RouteStore,
  StoredRoute,
  TableRoute,
} from './route';
export {
  DEFAULT_DEAD_LETTER_TOPIC,
  DEFAULT_INTENT_TOPIC,
  DEFAULT_TOPIC_POLICY,
  DEFAULT_UNMATERIALIZED_TOPIC,
  defaultEventTopic,
  eventTopicProblems,
  intentTopicProblems,
  isTopicName,
  sameTopic,
  topicCollisionKey,
  topicNameProblem,
} from './topics';
export type { TopicPolicy } from './topics';
export {
  DateIso,
  DecimalText,
  MicrosIso,
  MillisIso,
  READABLE_LOGICAL_TYPES,
  isoToMicros,
  microsToIso,
} from './avro-readable';
