// First: drivers loaded after it are instrumented (OpenTelemetry).
import '@wail/instrumentation';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_CLUSTER, type TableRoute } from '@wail/contracts';
import { KafkaClient, PartitionConsumer } from '@wail/kafka';
import { ClaimStore } from '@wail/object-store';
import { processAlive, runService, type RunningService } from '@wail/runtime';
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
import { ClusterProducers } from './pipeline/cluster-producers';
import { ExactlyOnceDelivery } from './pipeline/exactly-once';
import { IntentProcessor } from './pipeline/intent-processor';
import { LagReader, type PartitionOffsets } from './pipeline/lag';
import { consumerMetrics } from './pipeline/metrics';
import { ModelCache } from './pipeline/model-cache';
import { MoveCoordinator } from './pipeline/move-coordinator';
import { pidNamespace, removeCrashedPredecessors } from './pipeline/predecessors';
import { TopicSet } from './pipeline/topic-set';
import { KafkaPartitionTransactions } from './pipeline/transactions';

export interface ConsumerService extends RunningService {
  app: FastifyInstance;
  processor: IntentProcessor;
}

/** The composition root: the only place that chooses adapters and wires them. */
export async function compose(config: ConsumerConfig, logger: Logger): Promise<ConsumerService> {
  const clientId = `wail-consumer-${config.consumerId}`;
  const clusterClient = (name: string) =>
    new KafkaClient({
      brokers: config.kafka.clusters.get(name)!,
      clientId,
      logger: name === DEFAULT_CLUSTER ? logger : logger.child({ cluster: name }),
      security: config.kafka.security,
    });
  // `kafka`: the cluster whose intents this consumer reads; `events`: the one it publishes to.
  const kafka = clusterClient(config.clusters.intents);
  const events =
    config.clusters.events === config.clusters.intents
      ? kafka
      : clusterClient(config.clusters.events);
  // Each event topic's cluster, from its model; the other outputs go to `events`.
  const eventClusters = new Map<string, string>();
  const clusterOf = (topic: string) => eventClusters.get(topic) ?? config.clusters.events;
  const producers = new ClusterProducers(
    config.kafka.clusters,
    clientId,
    logger,
    clusterOf,
    new Map([
      [config.clusters.intents, kafka],
      [config.clusters.events, events],
    ]),
    config.kafka.security,
  );
  const { client: repository, routes } = connectRepository(config.repository, logger);
  const stores = openStores(config.stores, { models: repositoryModels(repository) });
  const models = new ModelCache(
    repository,
    async (model) => {
      await producers.client(model.eventCluster).ensureTopics([{ topic: model.eventTopic }]);
      eventClusters.set(model.eventTopic, model.eventCluster);
    },
    config.clusters.events,
  );

  const claims = config.claims ? new ClaimStore(config.claims) : undefined;
  const registry = createMetricsRegistry('smart-consumer');
  const metrics = consumerMetrics(registry);
  const processorLogger = logger.child({ component: 'processor' });
  // The consumer is created below; the delivery mode only commits through it once batches flow.
  const { delivery, close: closeDelivery } = openDelivery(
    config,
    events,
    producers,
    processorLogger,
    (offsets) => consumer.commit(offsets),
  );
  const topics = new TopicSet(kafka, config.group);
  const owns = (table: string) => config.tables.has(table);
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
    ownsTable: config.tables.isEverything ? undefined : owns,
    consumedTopics: () => topics.topics(),
    ...(claims ? { claims } : {}),
    topicLimit: (topic) => producers.client(clusterOf(topic)).maxMessageBytes(topic),
    eventClusterProblem: (cluster) => eventClusterProblem(config, cluster),
    moves: {
      cluster: config.clusters.intents,
      drained: (table, source) => moves.ledger.drained(table, source),
      forward: (route, record) => producers.forward(route, record),
    },
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
  metrics.observeHeld(() => processor.heldIntents);
  metrics.observeOutbox(() => processor.outboxOutputs);
  metrics.observeFirstReadDelay(() => processor.firstReadDelayMs);
  const consumer = new PartitionConsumer(kafka, {
    groupId: config.group,
    sessionTimeoutMs: config.pipeline.sessionTimeoutMs,
    heartbeatIntervalMs: Math.floor(config.pipeline.sessionTimeoutMs / 10),
    logger: logger.child({ component: 'consumer' }),
    onBatch: (batch) => processor.onBatch(batch),
    onAssignment: (owned) => processor.retain(owned),
  });
  const lag = new LagReader(
    {
      owned: () => consumer.ownedPartitions(),
      position: (topic, partition) => processor.position(topic, partition),
      oldestTimestamp: (topic, partition) => processor.oldestTimestamp(topic, partition),
      offsets: (list) => intentOffsets(kafka, config.group, list),
    },
    { onFailure: (error) => logger.debug({ err: error }, 'consumer lag not read from Kafka') },
  );
  metrics.observeLag(() => lag.lag());

  const subscribe = async (list: string[]) => {
    await kafka.ensureTopics(list.map((topic) => ({ topic })));
    await consumer.setTopics(list);
  };
  const moves = new MoveCoordinator({
    cluster: config.clusters.intents,
    kafka,
    group: config.group,
    consumerId: config.consumerId,
    routes,
    ownsTable: owns,
    subscribed: () => topics.topics(),
    owned: () => consumer.ownedPartitions(),
    inPlaceWork: (topic, partition, table) => processor.inPlaceWork(topic, partition, table),
    announce: (cluster, marker) => producers.announce(cluster, marker),
    reconsider: () => processor.reconsider(),
    resubscribe: () => resubscribe(routes.all()),
    logger: processorLogger,
  });
  // Only the intent topics on this cluster of the tables this consumer
  // publishes, and the old topics of those moving away that this group
  // consumed; a topic no longer named drains first (TopicSet).
  const resubscribe = (all: ReadonlyMap<string, TableRoute>) => {
    const owned = [...all.values()].filter((route) => owns(route.table));
    const wanted = [...intentTopicsOn(config.clusters.intents, owned), ...moves.drainTopics(owned)];
    void subscribe(topics.update(wanted)).catch((error: unknown) =>
      logger.error({ err: error }, 'subscription update failed'),
    );
  };
  routes.onChange((all) => {
    metrics.knowTables(all.keys());
    moves.onRoutes(all);
    resubscribe(all);
  });
  moves.start();

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

  await events
    .ensureTopics([
      { topic: config.pipeline.unmaterializedTopic },
      { topic: config.pipeline.deadLetterTopic },
    ])
    .catch((error: unknown) =>
      logger.warn({ err: error }, 'could not create the unmaterialized and dead-letter topics yet'),
    );
  // Before the first join (routes.start subscribes): a crashed run of this
  // consumer would hold its partitions until its session timed out.
  await removeCrashedPredecessors(
    kafka,
    config.group,
    {
      clientId,
      explicit: config.consumerIdGiven,
      host: hostname(),
      pidNamespace: pidNamespace(),
      pid: process.pid,
      isAlive: processAlive,
    },
    logger,
  );
  await routes.start();

  const readiness = serviceReadiness(
    [
      kafkaCheck(kafka, config.clusters.intents),
      ...(events === kafka ? [] : [kafkaCheck(events, config.clusters.events)]),
      ...stores.checks,
    ],
    logger,
  );
  const app = await buildApp({ logger, readiness, metrics: registry, tls: config.http.tls });
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
        moves.stop(),
        producers.close(),
        kafka.close(),
        ...(events === kafka ? [] : [events.close()]),
        ...[...stores.values()].map((store) => store.close()),
      ]);
      claims?.close();
    },
  };
}

/** Kafka's offsets of the intent topics: watermarks, and the group's committed offsets. */
async function intentOffsets(
  kafka: KafkaClient,
  group: string,
  topics: readonly string[],
): Promise<Map<string, Map<number, PartitionOffsets>>> {
  const [watermarks, committed] = await Promise.all([
    Promise.all(topics.map((topic) => kafka.watermarks(topic))),
    kafka.committedOffsets(group, topics),
  ]);
  return new Map(
    topics.map((topic, i) => [
      topic,
      new Map(
        [...watermarks[i]!].map(([partition, { low, high }]) => {
          const offset = committed.get(topic)?.get(partition);
          // -1: the group has committed nothing for the partition.
          return [
            partition,
            { low, high, committed: offset !== undefined && offset >= 0n ? offset : undefined },
          ];
        }),
      ),
    ]),
  );
}

/** The intent topics on `cluster` these routes log to. */
export function intentTopicsOn(cluster: string, routes: readonly TableRoute[]): string[] {
  return [
    ...new Set(
      routes.filter((route) => route.intentCluster === cluster).map((route) => route.intentTopic),
    ),
  ];
}

/** The configured delivery mode, and how to close what it opened. */
function openDelivery(
  config: ConsumerConfig,
  kafka: KafkaClient,
  producers: ClusterProducers,
  logger: Logger,
  commitOffsets: AtLeastOnceOptions['commitOffsets'],
): { delivery: Delivery; close(): Promise<void> } {
  if (config.pipeline.delivery === 'exactly-once') {
    const transactions = new KafkaPartitionTransactions(kafka, config.group);
    return {
      delivery: new ExactlyOnceDelivery({
        transactions,
        logger,
        cutAfterMs: 2 * config.pipeline.commitIntervalMs,
      }),
      close: () => transactions.close(),
    };
  }
  return {
    delivery: new AtLeastOnceDelivery({
      publisher: { append: (records) => producers.publish(records) },
      commitOffsets,
    }),
    // The producers are closed with the service.
    close: async () => undefined,
  };
}

/**
 * Why this consumer cannot publish to a model's event cluster: exactly-once
 * commits events with the intents' offsets in one transaction, on the
 * cluster it reads; at-least-once publishes to any cluster it has brokers for.
 */
export function eventClusterProblem(config: ConsumerConfig, cluster: string): string | undefined {
  if (config.pipeline.delivery === 'exactly-once' && cluster !== config.clusters.intents)
    return `its events go to Kafka cluster "${cluster}", but an exactly-once consumer publishes only to the cluster it reads ("${config.clusters.intents}", WAIL_CONSUMER_CLUSTER): one transaction spans one cluster`;
  if (!config.kafka.clusters.has(cluster))
    return `its events go to Kafka cluster "${cluster}", which this consumer has no brokers for (WAIL_KAFKA_CLUSTERS names ${[...config.kafka.clusters.keys()].join(', ')})`;
  return undefined;
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
