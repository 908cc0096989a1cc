import type { Pool, RowDataPacket } from 'mysql2/promise';

/**
 * Versioned schema of the repository's database. Migrations only ever append;
 * each runs once, in order, under a named lock so that replicas starting
 * together do not race.
 *
 * Identity and ids: `stored_schemas.id` is an AUTO_INCREMENT (InnoDB takes its
 * auto-increment lock per statement, not per transaction, so concurrent
 * registrations do not queue behind one counter row) and `schemas.fingerprint`
 * is unique, so one schema text has one id in every subject. Versions are
 * allocated as max+1 under a per-subject row lock (`subjects` FOR UPDATE), so
 * they have no gaps and subjects do not serialize each other.
 */
/** A column added only when the table lacks it (MySQL 8 has no `ADD COLUMN IF NOT EXISTS`). */
interface AddColumn {
  table: string;
  column: string;
  definition: string;
}

export const MIGRATIONS: readonly {
  version: number;
  description: string;
  statements: readonly (string | AddColumn)[];
}[] = [
  {
    version: 1,
    description: 'schemas, subjects, versions, references, settings',
    statements: [
      `CREATE TABLE stored_schemas (
         id INT NOT NULL AUTO_INCREMENT,
         schema_type VARCHAR(16) NOT NULL,
         fingerprint BINARY(32) NOT NULL,
         canonical MEDIUMTEXT NOT NULL,
         refs TEXT NOT NULL,
         created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
         PRIMARY KEY (id),
         UNIQUE KEY uq_stored_schemas_fingerprint (fingerprint)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE subjects (
         subject VARCHAR(255) NOT NULL,
         created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
         PRIMARY KEY (subject)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE subject_versions (
         subject VARCHAR(255) NOT NULL,
         version INT NOT NULL,
         schema_id INT NOT NULL,
         deleted TINYINT(1) NOT NULL DEFAULT 0,
         created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
         PRIMARY KEY (subject, version),
         KEY ix_subject_versions_schema (schema_id)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE schema_references (
         schema_id INT NOT NULL,
         ordinal INT NOT NULL,
         name VARCHAR(512) NOT NULL,
         ref_subject VARCHAR(255) NOT NULL,
         ref_version INT NOT NULL,
         PRIMARY KEY (schema_id, ordinal),
         KEY ix_schema_references_target (ref_subject, ref_version)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE settings (
         scope VARCHAR(255) NOT NULL,
         compatibility VARCHAR(32) NULL,
         mode VARCHAR(32) NULL,
         PRIMARY KEY (scope)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    version: 2,
    description: 'table routes, data models and the control-plane change log',
    statements: [
      `CREATE TABLE control_changes (
         revision BIGINT NOT NULL AUTO_INCREMENT,
         kind VARCHAR(16) NOT NULL,
         table_name VARCHAR(64) NOT NULL,
         changed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
         PRIMARY KEY (revision)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE table_routes (
         table_name VARCHAR(64) NOT NULL,
         spec TEXT NOT NULL,
         revision BIGINT NOT NULL,
         PRIMARY KEY (table_name)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE data_models (
         table_name VARCHAR(64) NOT NULL,
         version INT NOT NULL,
         schema_text MEDIUMTEXT NOT NULL,
         event_topic VARCHAR(249) NOT NULL,
         key_schema_id INT NOT NULL,
         value_schema_id INT NOT NULL,
         revision BIGINT NOT NULL,
         created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
         PRIMARY KEY (table_name, version)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    version: 3,
    description: 'the control-plane topic lock (route and model writes check topics under it)',
    statements: [
      `CREATE TABLE control_locks (
         name VARCHAR(32) NOT NULL,
         PRIMARY KEY (name)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      "INSERT IGNORE INTO control_locks (name) VALUES ('topics')",
    ],
  },
  {
    version: 4,
    description: "a data model version's event cluster (NULL: the consumer's own)",
    statements: [{ table: 'data_models', column: 'event_cluster', definition: 'VARCHAR(32) NULL' }],
  },
  {
    version: 5,
    description: "a data model version's claim-check threshold (bytes of an encoded event value)",
    statements: [
      {
        table: 'data_models',
        column: 'claim_check_bytes',
        // The default of every version registered before claim checks.
        definition: 'INT NOT NULL DEFAULT 900000',
      },
    ],
  },
  {
    version: 6,
    description: 'backfill checkpoints, one per table (wail backfill)',
    statements: [
      `CREATE TABLE backfills (
         table_name VARCHAR(64) NOT NULL,
         checkpoint TEXT NOT NULL,
         updated_at TIMESTAMP(3) NOT NULL,
         PRIMARY KEY (table_name)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
];

async function addColumn(
  connection: Pick<Pool, 'query'>,
  { table, column, definition }: AddColumn,
): Promise<void> {
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
    [table, column],
  );
  if (rows.length === 0)
    await connection.query(`ALTER TABLE \`${table}\` ADD COLUMN \`${column}\` ${definition}`);
}

/** Applies pending migrations; safe to call from every replica at start-up. */
export async function migrate(pool: Pool): Promise<number[]> {
  const connection = await pool.getConnection();
  try {
    const [[lock]] = await connection.query<RowDataPacket[]>(
      "SELECT GET_LOCK('wail_repository_migrate', 60) AS got",
    );
    if (lock?.['got'] !== 1) throw new Error('could not take the migration lock within 60 s');
    try {
      await connection.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version INT NOT NULL PRIMARY KEY,
           description VARCHAR(255) NOT NULL,
           applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
         ) ENGINE=InnoDB`,
      );
      const [rows] = await connection.query<RowDataPacket[]>(
        'SELECT version FROM schema_migrations',
      );
      const applied = new Set(rows.map((row) => Number(row['version'])));
      const done: number[] = [];
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        // DDL commits implicitly in MySQL; a migration that fails half-way is
        // re-run from its first statement, so each must be safe to repeat or
        // fail loudly. Ours only create tables (made IF NOT EXISTS here),
        // INSERT IGNORE their fixed rows and add a column only when the
        // table lacks it (looked up, as MySQL 8 has no ADD COLUMN IF NOT EXISTS).
        for (const statement of migration.statements) {
          if (typeof statement === 'string')
            await connection.query(
              statement.replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS '),
            );
          else await addColumn(connection, statement);
        }
        await connection.query(
          'INSERT INTO schema_migrations (version, description) VALUES (?, ?)',
          [migration.version, migration.description],
        );
        done.push(migration.version);
      }
      return done;
    } finally {
      await connection.query("SELECT RELEASE_LOCK('wail_repository_migrate')");
    }
  } finally {
    connection.release();
  }
}
