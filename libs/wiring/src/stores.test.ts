import { Type } from '@sinclair/typebox';
import { loadEnv } from '@wail/config';
import { CassandraRowStore } from '@wail/store-cassandra';
import { MysqlRowStore } from '@wail/store-mysql';
import { PostgresRowStore } from '@wail/store-postgres';
import { RedisRowStore } from '@wail/store-redis';
import { deadAddress } from '@wail/testing';
import { DataPlaneEnv, dataPlaneSettings } from './data-plane-config';
import { openStores } from './stores';

const settings = (env: Record<string, string>) =>
  dataPlaneSettings(loadEnv(Type.Object(DataPlaneEnv), env)).stores;

const context = { models: async () => undefined };

describe('openStores', () => {
  it('opens every configured store, in one order whatever WAIL_STORES lists first', async () => {
    const stores = openStores(settings({ WAIL_STORES: 'mysql,cassandra' }), context);
    try {
      expect([...stores.keys()]).toEqual(['cassandra', 'mysql']);
      expect(stores.get('cassandra')).toBeInstanceOf(CassandraRowStore);
      expect(stores.get('mysql')).toBeInstanceOf(MysqlRowStore);
      expect(stores.checks.map((check) => check.name)).toEqual(['cassandra', 'mysql']);
    } finally {
      await stores.close();
    }
  });

  it('opens PostgreSQL and Redis beside them, each checked by a ping that answers', async () => {
    const stores = openStores(settings({}), context);
    try {
      expect([...stores.keys()]).toEqual(['cassandra', 'mysql', 'postgres', 'redis']);
      expect(stores.get('postgres')).toBeInstanceOf(PostgresRowStore);
      expect(stores.get('redis')).toBeInstanceOf(RedisRowStore);
      const checks = stores.checks.filter((check) => ['postgres', 'redis'].includes(check.name));
      await Promise.all(checks.map((check) => check.check()));
      expect(checks).toHaveLength(2);
    } finally {
      await stores.close();
    }
  });

  it('opens no store that is not configured, and checks none', async () => {
    const stores = openStores(settings({ WAIL_STORES: 'mysql' }), context);
    try {
      expect([...stores.keys()]).toEqual(['mysql']);
      expect(stores.get('cassandra')).toBeUndefined();
      expect(stores.checks.map((check) => check.name)).toEqual(['mysql']);
    } finally {
      await stores.close();
    }
  });

  it('checks a store by pinging it: a store that does not answer fails its check', async () => {
    const { host, port } = await deadAddress();
    const stores = openStores(
      settings({ WAIL_STORES: 'mysql', WAIL_MYSQL_URL: `mysql://root@${host}:${port}` }),
      context,
    );
    try {
      await expect(stores.checks[0]!.check()).rejects.toThrow();
    } finally {
      await stores.close();
    }
  });
});
