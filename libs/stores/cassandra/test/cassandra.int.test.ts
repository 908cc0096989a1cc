import { deadAddress, stackEnv, uniqueName } from '@wail/testing';
import { CassandraConnection } from '../src';

const env = stackEnv();

describe('Cassandra on the local stack', () => {
  const keyspace = uniqueName('wail_it');
  const connection = new CassandraConnection({
    contactPoints: env.cassandraContactPoints,
    localDataCenter: env.cassandraDatacenter,
  });

  afterAll(async () => {
    await connection.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await connection.close();
  });

  it('creates a keyspace and a table, writes a row and reads it back', async () => {
    await connection.ping();
    await connection.client.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await connection.client.execute(
      `CREATE TABLE ${keyspace}.items (id text PRIMARY KEY, qty int, wail_ts bigint)`,
    );
    await connection.client.execute(
      `INSERT INTO ${keyspace}.items (id, qty, wail_ts) VALUES (?, ?, ?) USING TIMESTAMP ?`,
      ['a', 3, 1_700_000_000_000_000n, 1_700_000_000_000_000n],
    );
    const result = await connection.client.execute(
      `SELECT id, qty, wail_ts, WRITETIME(qty) AS written FROM ${keyspace}.items WHERE id = ?`,
      ['a'],
    );
    const row = result.first();
    expect(row.get('id')).toBe('a');
    expect(row.get('qty')).toBe(3);
    expect(row.get('wail_ts')).toBe(1_700_000_000_000_000n);
    expect(row.get('written')).toBe(1_700_000_000_000_000n);
  });

  it('fails a ping when nothing listens', async () => {
    const { host, port } = await deadAddress();
    const dead = new CassandraConnection({
      contactPoints: [`${host}:${port}`],
      localDataCenter: env.cassandraDatacenter,
      connectTimeoutMs: 300,
    });
    await expect(dead.ping()).rejects.toThrow();
    await dead.close();
  });
});
