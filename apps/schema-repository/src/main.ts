import type { FastifyInstance } from 'fastify';
import { Readiness, runService, type RunningService } from '@wail/runtime';
import { MysqlConnection } from '@wail/store-mysql';
import { createMetricsRegistry, type Logger } from '@wail/telemetry';
import { buildApp } from './app';
import { loadConfig, type RepositoryConfig } from './config';
import { ControlPlane } from './control-plane/control-plane';
import { SchemaRegistry } from './registry/schema-registry';
import { DatabaseBootstrap } from './storage/bootstrap';

export interface RepositoryService extends RunningService {
  app: FastifyInstance;
}

/** The composition root: the only place that chooses adapters and wires them. */
export async function compose(
  config: RepositoryConfig,
  logger: Logger,
): Promise<RepositoryService> {
  const mysql = new MysqlConnection({
    url: config.mysql.url,
    database: config.mysql.database,
    connectionLimit: 20,
  });
  const bootstrap = new DatabaseBootstrap(config.mysql.url, config.mysql.database, mysql, logger);
  await bootstrap.start();
  const registry = new SchemaRegistry(mysql.pool, { bounds: config.schemaBounds });
  const readiness = new Readiness([
    {
      name: 'mysql',
      check: async () => {
        bootstrap.assertReady();
        await mysql.ping();
      },
    },
  ]);
  const app = await buildApp({
    logger,
    readiness,
    metrics: createMetricsRegistry('schema-repository'),
    registry,
    controlPlane: new ControlPlane(mysql.pool, registry),
    bodyLimit: config.http.bodyLimit,
    token: config.token,
  });
  return {
    app,
    async stop() {
      readiness.startDraining();
      bootstrap.stop();
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
