import type { FastifyInstance } from 'fastify';
import { Readiness, runService, type RunningService } from '@wail/runtime';
import { MysqlConnection } from '@wail/store-mysql';
import { createMetricsRegistry, type Logger } from '@wail/telemetry';
import { openStores } from '@wail/wiring';
import { buildApp } from './app';
import { loadConfig, type RepositoryConfig } from './config';
import { ControlPlane } from './control-plane/control-plane';
import { RouteFit } from './control-plane/route-fit';
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
  const { database, ...server } = config.mysql;
  const mysql = new MysqlConnection({ ...server, database, connectionLimit: 20 });
  const bootstrap = new DatabaseBootstrap(server, database, mysql, logger);
  await bootstrap.start();
  const registry = new SchemaRegistry(mysql.pool, { bounds: config.schemaBounds });
  // Routes are checked against their tables when applied: fresh metadata every
  // time (no cache), a small pool, no tombstone purging (this service writes none).
  const stores = openStores(config.stores, {
    mysql: { connectionLimit: 2, describeTtlMs: 0, tombstonePurgeIntervalMs: 0 },
    cassandra: { describeTtlMs: 0 },
  });
  const readiness = new Readiness(
    [
      {
        name: 'mysql',
        check: async () => {
          bootstrap.assertReady();
          await mysql.ping();
        },
      },
    ],
    { logger: logger.child({ component: 'readiness' }) },
  );
  const app = await buildApp({
    logger,
    readiness,
    metrics: createMetricsRegistry('schema-repository'),
    registry,
    controlPlane: new ControlPlane(
      mysql.pool,
      registry,
      new RouteFit(
        stores,
        logger.child({ component: 'route-fit' }),
        Math.max(5000, config.stores.timeoutMs),
      ),
      config.topics,
    ),
    bodyLimit: config.http.bodyLimit,
    tokens: config.tokens,
  });
  return {
    app,
    async stop() {
      readiness.startDraining();
      bootstrap.stop();
      await app.close();
      await mysql.close();
      await stores.close();
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
