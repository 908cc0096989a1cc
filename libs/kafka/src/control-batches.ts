/**
 * kafkajs never calls `eachBatch` for a fetch whose records are all control
 * records (`Batch.isEmptyDueToFiltering`): it moves past them on its own. A
 * consumer that resolves transactions from their markers then never sees a
 * commit marker that arrived alone, after the transaction's records were
 * fetched and held, and holds them forever. Here a batch that carries a
 * control record counts as neither empty nor filtered, so `eachBatch` gets it
 * (with no `messages`; the markers are in `messagesWithinOffset`).
 *
 * The change is to kafkajs' Batch class, so it holds for every consumer of
 * the process; `PartitionConsumer` returns at once from such a batch unless it
 * resolves markers, and an `eachMessage` consumer moves past it as kafkajs
 * did (it would otherwise fetch the same marker again and again).
 */
const Batch = require('kafkajs/src/consumer/batch') as {
  prototype: {
    messages: unknown[];
    messagesWithinOffset: { isControlRecord?: boolean }[];
    rawMessages: unknown[];
    isEmpty(): boolean;
    isEmptyDueToFiltering(): boolean;
  };
};

type BatchLike = (typeof Batch)['prototype'];

const Runner = require('kafkajs/src/consumer/runner') as {
  prototype: {
    consumerGroup: {
      resolveOffset(offset: { topic: string; partition: number; offset: string }): void;
    };
    processEachMessage(batch: BatchLike & RunnerBatch): Promise<void>;
  };
};

interface RunnerBatch {
  topic: string;
  partition: number;
  lastOffset(): string;
}

const carriesControl = (batch: BatchLike) =>
  batch.messagesWithinOffset.some((message) => message.isControlRecord === true);

let patched = false;

export function deliverControlBatches(): void {
  if (patched) return;
  patched = true;
  Batch.prototype.isEmpty = function (this: BatchLike) {
    return this.messages.length === 0 && !carriesControl(this);
  };
  Batch.prototype.isEmptyDueToFiltering = function (this: BatchLike) {
    return this.messages.length === 0 && this.rawMessages.length > 0 && !carriesControl(this);
  };
  const eachMessage = Runner.prototype.processEachMessage;
  Runner.prototype.processEachMessage = async function (this: typeof Runner.prototype, batch) {
    if (batch.messages.length > 0) return eachMessage.call(this, batch);
    const { topic, partition } = batch;
    this.consumerGroup.resolveOffset({ topic, partition, offset: batch.lastOffset() });
  };
}
