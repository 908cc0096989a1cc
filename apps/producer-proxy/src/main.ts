// First: drivers loaded after it are instrumented (OpenTelemetry).
import '@wail/instrumentation';
import type { FastifyInstance } from 'fastify';
import { HybridLogicalClock } from '@wail/intent';
import { GroupCommitLog, KafkaClient } from '@wail/kafka';
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
import { loadConfig, type ProxyConfig } from './config';
import { IntentBacklog } from './mutations/intent-backlog';
import { proxyMetrics } from './mutations/metrics';
import { IntentLog } from './mutations/intent-log';
import { MutationService } from './mutations/mutation-service';

export interface ProxyService extends RunningService {
  app: FastifyInstance;
}

/** The composition root: the only place that chooses adapters and wires them. */
export async function compose(config: ProxyConfig, logger: Logger): Promise<ProxyService> {
  // One client and one group-commit log per named Kafka cluster (WAIL_KAFKA_CLUSTERS).
  const clusters = [...config.kafka.clusters].map(([name, brokers]) => {
    const kafka = new KafkaClient({
      brokers,
      clientId: `wail-proxy-${config.proxyId}`,
      logger: logger.child({ cluster: name }),
      security: config.kafka.security,
    });
    const log = new GroupCommitLog(kafka, {
      appendTimeoutMs: config.intents.timeoutMs,
      maxQueued: config.intents.queueLimit,
    });
    return { name, kafka, log };
  });
  const { client: repository, routes } = connectRepository(config.repository, logger);
  const stores = openStores(config.stores, { models: repositoryModels(repository) });
  await routes.start();

  const registry = createMetricsRegistry('producer-proxy');
  const metrics = proxyMetrics(registry);
  const intentLog = new IntentLog(new Map(clusters.map(({ name, log }) => [name, log])), {
    appendSeconds: metrics.appendSeconds,
  });
  const backlog = new IntentBacklog(
    intentLog,
    config.intents.backlogLimit,
    logger.child({ component: 'backlog' }),
    metrics.dropped,
  );
  metrics.observe({
    backlogSize: () => backlog.size,
    intentRequests: () => sum(clusters.map(({ log }) => log.stats.requests)),
    intentRecords: () => sum(clusters.map(({ log }) => log.stats.records)),
  });

  const mutations = new MutationService({
    routes,
    stores,
    log: intentLog,
    backlog,
    clock: new HybridLogicalClock(),
    proxyId: config.proxyId,
    logger,
    metrics,
    limits: { keyBytes: config.intents.keyLimit, intentBytes: config.intents.intentLimit },
    writeFold: config.writeFold,
  });
  const readiness = serviceReadiness(
    [...clusters.map(({ name, kafka }) => kafkaCheck(kafka, name)), ...stores.checks],
    logger,
  );
  const app = await buildApp({
    logger,
    readiness,
    metrics: registry,
    mutations,
    tokens: config.tokens,
    bodyLimit: config.http.bodyLimit,
    tls: config.http.tls,
    batchLimit: config.batchLimit,
  });
  for (const { name, log } of clusters)
    log
      .connect()
      .catch((error: unknown) =>
        logger.warn({ err: error, cluster: name }, 'Kafka not reachable yet'),
      );
  return {
    app,
    async stop() {
      readiness.startDraining();
      routes.stop();
      await app.close();
      await backlog.flush();
      backlog.stop();
      await Promise.allSettled([
        ...clusters.flatMap(({ log, kafka }) => [log.close(), kafka.close()]),
        stores.close(),
      ]);
    },
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

if (require.main === module) {
  void runService({
    service: 'producer-proxy',
    loadConfig,
    async start(config, logger) {
      const tracing = startTracing({ service: 'wail-producer-proxy', export: config.exportTraces });
      const service = await compose(config, logger);
      await service.app.listen({ host: config.http.host, port: config.http.port });
      logger.info(
        { proxyId: config.proxyId, stores: config.stores.stores },
        'producer proxy ready',
      );
      return {
        app: service.app,
        async stop() {
          await service.stop();
          await tracing.shutdown();
        },
      };
    },
  });
}
