export { KafkaClient } from './kafka-client';
export type { KafkaClientOptions, TopicSpec } from './kafka-client';
