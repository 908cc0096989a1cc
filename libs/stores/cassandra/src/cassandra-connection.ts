import { Client, types } from 'cassandra-driver';
import type { StoreConnection } from '@wail/store';

export interface CassandraOptions {
  contactPoints: readonly string[];
  localDataCenter: string;
  username?: string;
  password?: string;
  keyspace?: string;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Client encryption, verifying the nodes' certificates and host names against `ca` (PEM) or else Node's trusted CAs. */
  tls?: { ca?: string | undefined } | undefined;
}

export class CassandraConnection implements StoreConnection {
  readonly kind = 'cassandra' as const;
  readonly client: Client;

  constructor(options: CassandraOptions) {
    const auth =
      options.username === undefined
        ? {}
        : {
            credentials: { username: options.username, password: options.password ?? '' },
          };
    this.client = new Client({
      contactPoints: [...options.contactPoints],
      localDataCenter: options.localDataCenter,
      ...(options.keyspace === undefined ? {} : { keyspace: options.keyspace }),
      ...auth,
      ...(options.tls
        ? {
            sslOptions: {
              rejectUnauthorized: true,
              ...(options.tls.ca ? { ca: [options.tls.ca] } : {}),
            },
          }
        : {}),
      socketOptions: {
        connectTimeout: options.connectTimeoutMs ?? 3000,
        readTimeout: options.readTimeoutMs ?? 10_000,
      },
      queryOptions: { consistency: types.consistencies.localQuorum, prepare: true },
      // Versions are microsecond timestamps: 64-bit integers end to end, never doubles.
      encoding: { useBigIntAsLong: true, useBigIntAsVarint: true },
      // One node in development; in production the driver discovers the ring itself.
      pooling: { coreConnectionsPerHost: { [types.distance.local]: 1 } },
    });
  }

  async ping(): Promise<void> {
    await this.client.execute('SELECT release_version FROM system.local', [], {
      consistency: types.consistencies.localOne,
    });
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
