import type { Static, TObject } from '@sinclair/typebox';
import { DEFAULT_CLUSTER } from '@wail/contracts';
import {
  CassandraEnv,
  KafkaClustersEnv,
  KafkaEnv,
  KafkaSecurityEnv,
  LogEnv,
  MysqlEnv,
  PostgresEnv,
  RedisEnv,
  RepositoryUrlEnv,
  StoresEnv,
  TracingEnv,
  kafkaClusters,
  kafkaSecurity,
  splitList,
  storeSettings,
  type KafkaSecuritySettings,
  type StoreSettings,
} from '@wail/config';
import { tracesExported } from '@wail/instrumentation';

/**
 * The variables every data-plane service (producer proxy, smart consumer)
 * reads: log level, Kafka, the stores, the schema repository, tracing. A
 * service's own schema spreads this and adds its own.
 */
export const DataPlaneEnv = {
  ...LogEnv,
  ...KafkaEnv,
  ...KafkaClustersEnv,
  ...KafkaSecurityEnv,
  ...CassandraEnv,
  ...MysqlEnv,
  ...PostgresEnv,
  ...RedisEnv,
  ...StoresEnv,
  ...RepositoryUrlEnv,
  ...TracingEnv,
};

type DataPlaneValues = Static<TObject<typeof DataPlaneEnv>>;

export interface RepositorySettings {
  url: string;
  /** Sent with every route and model read. */
  token: string | undefined;
  refreshMs: number;
}

export interface DataPlaneSettings {
  logLevel: DataPlaneValues['WAIL_LOG_LEVEL'];
  /** `brokers`: the `main` cluster's; `clusters`: every named cluster's, `main` included. */
  kafka: {
    brokers: string[];
    clusters: ReadonlyMap<string, string[]>;
    /** TLS and SASL for every cluster (WAIL_KAFKA_TLS*, WAIL_KAFKA_SASL_*). */
    security: KafkaSecuritySettings | undefined;
  };
  stores: StoreSettings;
  repository: RepositorySettings;
  exportTraces: boolean;
}

export function dataPlaneSettings(e: DataPlaneValues): DataPlaneSettings {
  return {
    logLevel: e.WAIL_LOG_LEVEL,
    kafka: kafkaSettings(e),
    stores: storeSettings(e),
    repository: {
      url: e.WAIL_REPOSITORY_URL,
      // The read token is what proxies and consumers need; the former single
      // token still works for deployments that set only it.
      token: e.WAIL_REPOSITORY_READ_TOKEN ?? e.WAIL_REPOSITORY_TOKEN,
      refreshMs: e.WAIL_ROUTES_REFRESH_MS,
    },
    exportTraces: tracesExported(e),
  };
}

function kafkaSettings(e: DataPlaneValues): DataPlaneSettings['kafka'] {
  const clusters = kafkaClusters(splitList(e.WAIL_KAFKA_BROKERS), e.WAIL_KAFKA_CLUSTERS);
  return { brokers: clusters.get(DEFAULT_CLUSTER)!, clusters, security: kafkaSecurity(e) };
}
