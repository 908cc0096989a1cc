export { GroupCommitLog } from './group-commit-log';
export type { GroupCommitOptions, GroupCommitStats } from './group-commit-log';
export { KafkaClient } from './kafka-client';
export type { KafkaClientOptions, TopicSpec } from './kafka-client';
export { PartitionConsumer } from './partition-consumer';
export type { PartitionConsumerOptions } from './partition-consumer';
export { RecordProducer } from './record-producer';
export type { RecordProducerOptions } from './record-producer';
export type { IncomingBatch, IncomingRecord, OutgoingRecord } from './records';
