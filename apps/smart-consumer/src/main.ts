import type { FastifyInstance } from 'fastify';
import { GroupCommitLog, KafkaClient, PartitionConsumer } from '@wail/kafka';
import { runService, type RunningService } from '@wail/runtime';
import { createMetricsRegistry, startTracing, type Logger } from '@wail/telemetry';
import {
  connectRepository,
  kafkaCheck,
  openStores,
  repositoryModels,
  serviceReadiness,
} from '@wail/wiring';
import { buildApp } from './app';
import { loadConfig, type ConsumerConfig } from './config';
import { AtLeastOnceDelivery, type AtLeastOnceOptions } from './pipeline/at-least-once';
import type { Delivery } from './pipeline/delivery';
import { ExactlyOnceDelivery } from './pipeline/exactly-once';
import { IntentProcessor } from './pipeline/intent-processor';
import { consumerMetrics } from './pipeline/metrics';
import { ModelCache } from './pipeline/model-cache';
import { TopicSet } from './pipeline/topic-set';
import { KafkaPartitionTransactions } from './pipeline/transactions';

export interface ConsumerService extends RunningService {
  app: FastifyInstance;
  processor: IntentProcessor;
}

/** The composition root: the only place that chooses adapters and wires them. */
export async function compose(config: ConsumerConfig, logger: Logger): Promise<ConsumerService> {
  const kafka = new KafkaClient({
    brokers: config.kafka.brokers,
    clientId: `wail-consumer-${config.consumerId}`,
    logger,
  });
  const { client: repository, routes } = connectRepository(config.repository, logger);
  const stores = openStores(config.stores, { models: repositoryModels(repository) });
  const models = new ModelCache(repository, (model) =>
    kafka.ensureTopics([{ topic: model.eventTopic }]),
  );

  const registry = createMetricsRegistry('smart-consumer');
  const metrics = consumerMetrics(registry);
  const processorLogger = logger.child({ component: 'processor' });
  // The consumer is created below; the delivery mode only commits through it once batches flow.
  const { delivery, close: closeDelivery } = openDelivery(
    config,
    kafka,
    processorLogger,
    (offsets) => consumer.commit(offsets),
  );
  const topics = new TopicSet(kafka, config.group);
  const processor: IntentProcessor = new IntentProcessor({
    routes,
    models,
    stores,
    delivery,
    // The processor only calls these once batches flow.
    control: {
      pause: (topic, partition) => consumer.pause(topic, partition),
      resume: (topic, partition) => consumer.resume(topic, partition),
      seek: (topic, partition, offset) => consumer.seek(topic, partition, offset),
    },
    logger: processorLogger,
    metrics,
    ownsTable: config.tables.isEverything ? undefined : (table) => config.tables.has(table),
    consumedTopics: () => topics.topics(),
    topicLimit: (topic) => kafka.maxMessageBytes(topic),
    options: {
      keyConcurrency: config.pipeline.keyConcurrency,
      maxInFlightPerPartition: config.pipeline.maxInFlightPerPartition,
      graceMs: config.pipeline.graceMs,
      coalesceMs: config.pipeline.coalesceMs,
      maxEventBytes: config.pipeline.maxEventBytes,
      unmaterializedTopic: config.pipeline.unmaterializedTopic,
      deadLetterTopic: config.pipeline.deadLetterTopic,
    },
  });
  metrics.observeInFlight(() => processor.inFlight);
  const consumer = new PartitionConsumer(kafka, {
    groupId: config.group,
    logger: logger.child({ component: 'consumer' }),
    onBatch: (batch) => processor.onBatch(batch),
    onAssignment: (owned) => processor.retain(owned),
  });

  const subscribe = async (list: string[]) => {
    await kafka.ensureTopics(list.map((topic) => ({ topic })));
    await consumer.setTopics(list);
  };
  // Only the intent topics of the tables this consumer publishes; a topic no
  // longer named drains first (TopicSet).
  routes.onChange((all) => {
    const owned = [...all.values()].filter((route) => config.tables.has(route.table));
    void subscribe(topics.update(owned.map((route) => route.intentTopic))).catch((error: unknown) =>
      logger.error({ err: error }, 'subscription update failed'),
    );
  });

  const commitTimer = setInterval(() => {
    delivery
      .commit()
      .catch((error: unknown) => logger.debug({ err: error }, 'offset commit failed; will retry'));
  }, config.pipeline.commitIntervalMs);
  const pruneTimer = setInterval(() => {
    topics
      .prune()
      .then((list) => (list ? subscribe(list) : undefined))
      .catch((error: unknown) => logger.debug({ err: error }, 'topic prune failed'));
  }, 10_000);
  pruneTimer.unref();

  await kafka
    .ensureTopics([
      { topic: config.pipeline.unmaterializedTopic },
      { topic: config.pipeline.deadLetterTopic },
    ])
    .catch((error: unknown) =>
      logger.warn({ err: error }, 'could not create the unmaterialized and dead-letter topics yet'),
    );
  await routes.start();

  const readiness = serviceReadiness([kafkaCheck(kafka), ...stores.checks], logger);
  const app = await buildApp({ logger, readiness, metrics: registry });
  return {
    app,
    processor,
    async stop() {
      readiness.startDraining();
      routes.stop();
      clearInterval(pruneTimer);
      for (const [topic, partitions] of consumer.ownedPartitions())
        for (const partition of partitions) consumer.pause(topic, partition);
      const drained = await processor.drain(10_000);
      if (!drained)
        logger.warn(
          { inFlight: processor.inFlight },
          'stopping with unfinished intents; they will be replayed',
        );
      clearInterval(commitTimer);
      await delivery
        .commit()
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'final offset commit failed; intents will be replayed'),
        );
      processor.stop();
      await consumer.stop();
      await app.close();
      await Promise.allSettled([
        closeDelivery(),
        kafka.close(),
        ...[...stores.values()].map((store) => store.close()),
      ]);
    },
  };
}

/** The configured delivery mode, and how to close what it opened. */
function openDelivery(
  config: ConsumerConfig,
  kafka: KafkaClient,
  logger: Logger,
  commitOffsets: AtLeastOnceOptions['commitOffsets'],
): { delivery: Delivery; close(): Promise<void> } {
  if (config.pipeline.delivery === 'exactly-once') {
    const transactions = new KafkaPartitionTransactions(kafka, config.group);
    return {
      delivery: new ExactlyOnceDelivery({ transactions, logger }),
      close: () => transactions.close(),
    };
  }
  const publisher = new GroupCommitLog(kafka, { appendTimeoutMs: 10_000, maxQueued: 100_000 });
  return {
    delivery: new AtLeastOnceDelivery({ publisher, commitOffsets }),
    close: () => publisher.close(),
  };
}

if (require.main === module) {
  void runService({
    service: 'smart-consumer',
    loadConfig,
    stopTimeoutMs: 30_000,
    async start(config, logger) {
      const tracing = startTracing({ service: 'wail-smart-consumer', export: config.exportTraces });
      const service = await compose(config, logger);
      await service.app.listen({ host: config.http.host, port: config.http.port });
      logger.info(
        { consumerId: config.consumerId, group: config.group, tables: config.tables.toString() },
        'smart consumer ready',
      );
      return {
        async stop() {
          await service.stop();
          await tracing.shutdown();
        },
      };
    },
  });
}
