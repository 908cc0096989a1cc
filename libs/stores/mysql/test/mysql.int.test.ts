import type { RowDataPacket } from 'mysql2';
import { deadAddress, stackEnv, uniqueName } from '@wail/testing';
import { MysqlConnection } from '../src';

const env = stackEnv();

describe('MySQL/MariaDB on the local stack', () => {
  const database = uniqueName('wail_it');
  const connection = new MysqlConnection({ url: env.mysqlUrl });

  afterAll(async () => {
    await connection.pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await connection.close();
  });

  it('creates a database and a table, writes a row and reads it back', async () => {
    await connection.ping();
    await connection.pool.query(`CREATE DATABASE \`${database}\``);
    await connection.pool.query(
      `CREATE TABLE \`${database}\`.items (id VARCHAR(64) COLLATE utf8mb4_bin PRIMARY KEY, qty INT, wail_ts BIGINT NOT NULL)`,
    );
    await connection.pool.execute(
      `INSERT INTO \`${database}\`.items (id, qty, wail_ts) VALUES (?, ?, ?)`,
      ['a', 3, '1700000000000000'],
    );
    const [rows] = await connection.pool.execute<RowDataPacket[]>(
      `SELECT id, qty, wail_ts FROM \`${database}\`.items WHERE id = ?`,
      ['a'],
    );
    expect(rows).toEqual([{ id: 'a', qty: 3, wail_ts: '1700000000000000' }]);
  });

  it('fails a ping when nothing listens', async () => {
    const { host, port } = await deadAddress();
    const dead = new MysqlConnection({
      url: `mysql://root@${host}:${port}`,
      connectTimeoutMs: 300,
    });
    await expect(dead.ping()).rejects.toThrow();
    await dead.close();
  });
});
