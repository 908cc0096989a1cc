import { Type } from '@sinclair/typebox';
import { loadEnv } from '@wail/config';
import { CassandraRowStore } from '@wail/store-cassandra';
import { MysqlRowStore } from '@wail/store-mysql';
import { deadAddress } from '@wail/testing';
import { DataPlaneEnv, dataPlaneSettings } from './data-plane-config';
import { openStores } from './stores';

const settings = (env: Record<string, string>) =>
  dataPlaneSettings(loadEnv(Type.Object(DataPlaneEnv), env)).stores;

describe('openStores', () => {
  it('opens every configured store, in one order whatever WAIL_STORES lists first', async () => {
    const stores = openStores(settings({ WAIL_STORES: 'mysql,cassandra' }));
    try {
      expect([...stores.keys()]).toEqual(['cassandra', 'mysql']);
      expect(stores.get('cassandra')).toBeInstanceOf(CassandraRowStore);
      expect(stores.get('mysql')).toBeInstanceOf(MysqlRowStore);
      expect(stores.checks.map((check) => check.name)).toEqual(['cassandra', 'mysql']);
    } finally {
      await stores.close();
    }
  });

  it('opens no store that is not configured, and checks none', async () => {
    const stores = openStores(settings({ WAIL_STORES: 'mysql' }));
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
    );
    try {
      await expect(stores.checks[0]!.check()).rejects.toThrow();
    } finally {
      await stores.close();
    }
  });
});
