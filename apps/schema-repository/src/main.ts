import { Readiness, runService, type RunningService } from '@wail/runtime';
import type { FastifyInstance } from 'fastify';
import { MysqlConnection } from '@wail/store-mysql';
import { createMetricsRegistry, type Logger } from '@wail/telemetry';
import { buildApp } from './app';
import { loadConfig, type RepositoryConfig } from './config';

export interface RepositoryService extends RunningService {
  app: FastifyInstance;
}

/** The composition root: the only place that chooses adapters and wires them. */
export async function compose(
  config: RepositoryConfig,
  logger: Logger,
): Promise<RepositoryService> {
  const mysql = new MysqlConnection({ url: config.mysql.url });
  const readiness = new Readiness([{ name: 'mysql', check: () => mysql.ping() }]);
  const app = await buildApp({
    logger,
    readiness,
    metrics: createMetricsRegistry('schema-repository'),
    bodyLimit: config.http.bodyLimit,
  });
  return {
    app,
    async stop() {
      readiness.startDraining();
      await app.close();
      await mysql.close();
    },
  };
}

if (require.main === module) {
  void runService({
    service: 'schema-repository',
    loadConfig,
    async start(config, logger) {
      const service = await compose(config, logger);
      await service.app.listen({ host: config.http.host, port: config.http.port });
      return service;
    },
  });
}
