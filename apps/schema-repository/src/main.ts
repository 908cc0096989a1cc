import type { FastifyInstance } from 'fastify';
import { Readiness, runService, type RunningService } from '@wail/runtime';
import { MysqlConnection } from '@wail/store-mysql';
import { createMetricsRegistry, type Logger } from '@wail/telemetry';
import { openStores } from '@wail/wiring';
import { buildApp } from './app';
import { loadConfig, type RepositoryConfig } from './config';
import { ControlPlane } from './control-plane/control-plane';
import { ControlPlaneError } from './control-plane/errors';
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
  const metrics = createMetricsRegistry('schema-repository');
  const registry = new SchemaRegistry(mysql.pool, { bounds: config.schemaBounds, metrics });
  // Routes are checked against their tables when applied: fresh metadata every
  // time (no cache), a small pool, no tombstone purging (this service writes none).
  const stores = openStores(config.stores, {
    tuning: {
      mysql: { connectionLimit: 2, describeTtlMs: 0, tombstonePurgeIntervalMs: 0 },
      postgres: { poolSize: 2, describeTtlMs: 0, tombstonePurgeIntervalMs: 0 },
      cassandra: { describeTtlMs: 0 },
      redis: { modelTtlMs: 0 },
    },
    // A Redis table's columns are its model: this repository's own.
    models: async (table) => {
      try {
        return (await controlPlane.getModel(table, 'latest')).schema;
      } catch (error) {
        if (error instanceof ControlPlaneError && error.code === 'MODEL_NOT_FOUND')
          return undefined;
        throw error;
      }
    },
  });
  const controlPlane: ControlPlane = new ControlPlane(
    mysql.pool,
    registry,
    new RouteFit(
      stores,
      logger.child({ component: 'route-fit' }),
      Math.max(5000, config.stores.timeoutMs),
    ),
    config.topics,
  );
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
    metrics,
    registry,
    controlPlane,
    bodyLimit: config.http.bodyLimit,
    tls: config.http.tls,
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
