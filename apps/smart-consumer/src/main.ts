import { KafkaClient } from '@wail/kafka';
import { Readiness, runService, type RunningService } from '@wail/runtime';
import type { FastifyInstance } from 'fastify';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { createMetricsRegistry, type Logger } from '@wail/telemetry';
import { buildApp } from './app';
import { loadConfig, type ConsumerConfig } from './config';

export interface ConsumerService extends RunningService {
  app: FastifyInstance;
}

/** The composition root: the only place that chooses adapters and wires them. */
export async function compose(config: ConsumerConfig, logger: Logger): Promise<ConsumerService> {
  const kafka = new KafkaClient({
    brokers: config.kafka.brokers,
    clientId: 'wail-smart-consumer',
    logger,
  });
  const cassandra = new CassandraConnection(config.cassandra);
  const mysql = new MysqlConnection({ url: config.mysql.url });
  const readiness = new Readiness([
    { name: 'kafka', check: () => kafka.ping() },
    { name: 'cassandra', check: () => cassandra.ping() },
    { name: 'mysql', check: () => mysql.ping() },
  ]);
  const app = await buildApp({
    logger,
    readiness,
    metrics: createMetricsRegistry('smart-consumer'),
  });
  return {
    app,
    async stop() {
      readiness.startDraining();
      await app.close();
      await Promise.allSettled([kafka.close(), cassandra.close(), mysql.close()]);
    },
  };
}

if (require.main === module) {
  void runService({
    service: 'smart-consumer',
    loadConfig,
    async start(config, logger) {
      const service = await compose(config, logger);
      await service.app.listen({ host: config.http.host, port: config.http.port });
      return service;
    },
  });
}
