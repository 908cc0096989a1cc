import type { FastifyInstance } from 'fastify';
import { Readiness, runService, type RunningService } from '@wail/runtime';
import { MysqlConnection } from '@wail/store-mysql';
import { createMetricsRegistry, type Logger } from '@wail/telemetry';
import { buildApp } from './app';
import { loadConfig, type RepositoryConfig } from './config';
import { ControlPlane } from './control-plane/control-plane';
import { SchemaRegistry } from './registry/schema-registry';
import { migrate } from './storage/migrations';

export interface RepositoryService extends RunningService {
  app: FastifyInstance;
}

/** The composition root: the only place that chooses adapters and wires them. */
export async function compose(config: RepositoryConfig, logger: Logger): Promise<RepositoryService> {
  await ensureDatabase(config.mysql.url, config.mysql.database);
  const mysql = new MysqlConnection({ url: config.mysql.url, database: config.mysql.database, connectionLimit: 20 });
  const applied = await migrate(mysql.pool);
  if (applied.length > 0) logger.info({ applied, database: config.mysql.database }, 'migrations applied');
  const registry = new SchemaRegistry(mysql.pool);
  const readiness = new Readiness([{ name: 'mysql', check: () => mysql.ping() }]);
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
      await app.close();
      await mysql.close();
    },
  };
}

/** Creates the repository's database on first start; its name comes from validated config, never a request. */
async function ensureDatabase(url: string, database: string): Promise<void> {
  const bootstrap = new MysqlConnection({ url, connectionLimit: 1 });
  try {
    await bootstrap.pool.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await bootstrap.close();
  }
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
