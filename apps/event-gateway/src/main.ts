// First: drivers loaded after it are instrumented (OpenTelemetry).
import '@wail/instrumentation';
import type { FastifyInstance } from 'fastify';
import { KafkaClient } from '@wail/kafka';
import { ClaimStore } from '@wail/object-store';
import { runService, type RunningService } from '@wail/runtime';
import { createMetricsRegistry, startTracing, type Logger } from '@wail/telemetry';
import { connectRepository, kafkaCheck, serviceReadiness } from '@wail/wiring';
import { buildApp } from './app';
import { loadConfig, type GatewayConfig } from './config';
import { ChangeDecoder } from './delivery/change';
import { gatewayMetrics } from './delivery/metrics';
import { TableTopics } from './delivery/table-topics';
import { Gateway } from './gateway';
import { startGrpcServer } from './grpc/server';
import { GatewayAuth } from './http/auth';
import { SubscriptionStore } from './subscriptions/subscription-store';

export interface GatewayService extends RunningService {
  app: FastifyInstance;
  gateway: Gateway;
}

/** The composition root: the only place that chooses adapters and wires them. */
export async function compose(config: GatewayConfig, logger: Logger): Promise<GatewayService> {
  const kafka = new KafkaClient({
    brokers: config.brokers,
    clientId: `wail-gateway-${config.gatewayId}`,
    logger,
    security: config.kafkaSecurity,
  });
  const { client: repository, routes } = connectRepository(config.repository, logger);
  const topics = new TableTopics(routes, repository, logger.child({ component: 'topics' }));
  const registry = createMetricsRegistry('event-gateway');
  const metrics = gatewayMetrics(registry);
  const store = new SubscriptionStore({
    kafka,
    topic: config.subscriptionsTopic,
    groupId: `${config.groupPrefix}.subscriptions.${config.gatewayId.replace(/[^A-Za-z0-9._-]/g, '_')}`,
    logger,
    // Called once the store starts, below, when `gateway` exists.
    onChange: (id, subscription) => gateway.onSubscriptionChange(id, subscription),
  });
  const claims = config.claims ? new ClaimStore(config.claims) : undefined;
  const gateway = new Gateway({
    config,
    kafka,
    store,
    topics,
    decoder: new ChangeDecoder(config.repository.url, { claims }),
    metrics,
    logger,
  });
  metrics.observe({ subscriptions: () => store.size, streams: () => gateway.activeStreams });

  await routes.start();
  await topics.settled();
  await store.start();
  // Webhook subscriptions stored before this start are delivered from now on.
  for (const subscription of store.all())
    gateway.onSubscriptionChange(subscription.id, subscription);

  const readiness = serviceReadiness(
    [
      kafkaCheck(kafka, config.cluster),
      { name: 'repository', check: () => repository.routes().then(() => undefined) },
    ],
    logger,
  );
  const app = await buildApp({
    logger,
    readiness,
    metrics: registry,
    gateway,
    adminToken: config.adminToken,
    heartbeatMs: config.stream.heartbeatMs,
    tls: config.tls,
  });
  return {
    app,
    gateway,
    async stop() {
      readiness.startDraining();
      routes.stop();
      await gateway.stop();
      await app.close();
      await store.stop();
      await kafka.close();
      claims?.close();
    },
  };
}

if (require.main === module) {
  void runService({
    service: 'event-gateway',
    loadConfig,
    stopTimeoutMs: 20_000,
    async start(config, logger) {
      const tracing = startTracing({ service: 'wail-event-gateway', export: config.exportTraces });
      const service = await compose(config, logger);
      // gRPC first: once /readyz answers, every listener is up.
      const grpc = await startGrpcServer({
        gateway: service.gateway,
        auth: new GatewayAuth(config.adminToken),
        ...config.grpc,
        tls: config.tls,
        logger,
      });
      await service.app.listen({ host: config.http.host, port: config.http.port });
      logger.info({ gatewayId: config.gatewayId }, 'event gateway ready');
      return {
        async stop() {
          await grpc.stop();
          await service.stop();
          await tracing.shutdown();
        },
      };
    },
  });
}
