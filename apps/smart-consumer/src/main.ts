import type { FastifyInstance } from 'fastify';
import { GroupCommitLog, KafkaClient, PartitionConsumer } from '@wail/kafka';
import { runService, type RunningService } from '@wail/runtime';
import { createMetricsRegistry, startTracing, type Logger } from '@wail/telemetry';
import { connectRepository, kafkaCheck, openStores, serviceReadiness } from '@wail/wiring';
import { buildApp } from './app';
import { loadConfig, type ConsumerConfig } from './config';
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
  const publisher = new GroupCommitLog(kafka, { appendTimeoutMs: 10_000, maxQueued: 100_000 });
  const stores = openStores(config.stores);
  const { client: repository, routes } = connectRepository(config.repository, logger);
  const models = new ModelCache(repository, (model) =>
    kafka.ensureTopics([{ topic: model.eventTopic }]),
  );

  const registry = createMetricsRegistry('smart-consumer');
  const metrics = consumerMetrics(registry);
  const exactlyOnce = config.pipeline.delivery === 'exactly-once';
  const transactions = exactlyOnce
    ? new KafkaPartitionTransactions(kafka, config.group)
    : undefined;
  const topics = new TopicSet(kafka, config.group);
  const processor: IntentProcessor = new IntentProcessor({
    routes,
    models,
    stores,
    publisher,
    ...(transactions ? { transactions } : {}),
    // The consumer is created below; the processor only calls these once batches flow.
    control: {
      pause: (topic, partition) => consumer.pause(topic, partition),
      resume: (topic, partition) => consumer.resume(topic, partition),
      seek: (topic, partition, offset) => consumer.seek(topic, partition, offset),
    },
    logger: logger.child({ component: 'processor' }),
    metrics,
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
  routes.onChange((all) => {
    void subscribe(topics.update([...all.values()].map((route) => route.intentTopic))).catch(
      (error: unknown) => logger.error({ err: error }, 'subscription update failed'),
    );
  });

  const committed = new Map<string, bigint>();
  const commitSafeOffsets = async () => {
    if (exactlyOnce) return processor.commitTransactions();
    const changed = processor!
      .safeOffsets()
      .filter(({ topic, partition, offset }) => committed.get(`${topic}:${partition}`) !== offset);
    if (changed.length === 0) return;
    await consumer.commit(changed);
    for (const { topic, partition, offset } of changed)
      committed.set(`${topic}:${partition}`, offset);
  };
  const commitTimer = setInterval(() => {
    commitSafeOffsets().catch((error: unknown) =>
      logger.debug({ err: error }, 'offset commit failed; will retry'),
    );
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
      await commitSafeOffsets().catch((error: unknown) =>
        logger.warn({ err: error }, 'final offset commit failed; intents will be replayed'),
      );
      processor.stop();
      await consumer.stop();
      await app.close();
      await Promise.allSettled([
        publisher.close(),
        transactions?.close(),
        kafka.close(),
        ...[...stores.values()].map((store) => store.close()),
      ]);
    },
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
      logger.info({ consumerId: config.consumerId, group: config.group }, 'smart consumer ready');
      return {
        async stop() {
          await service.stop();
          await tracing.shutdown();
        },
      };
    },
  });
}
