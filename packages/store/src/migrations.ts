/**
 * Schema migrations, written with Kysely's schema builder so that the same list serves SQLite and
 * Postgres; the few column types that differ come from `types`. Append new migrations; never edit a
 * released one (a SQLite file's column types are what they were).
 */
import { sql, type ColumnDataType, type ColumnDefinitionBuilder, type Expression, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { BOOTSTRAP_USER } from '@regatta/core';
import type { Database } from './db-schema.js';
import { backfillFields } from './run-fields.js';

export type SqlDialect = 'sqlite' | 'postgres';

/** A generated integer key: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT, Postgres' bigserial. */
const serialType = (d: SqlDialect) => (d === 'postgres' ? 'bigserial' : 'integer');
const serialKey = (d: SqlDialect) => (c: ColumnDefinitionBuilder) => (d === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
/**
 * Text compared by ranges (run ids paged by cursor or prefix, field names by prefix): byte order, as
 * SQLite compares, whatever collation the Postgres database was created with.
 */
const keyText = (d: SqlDialect): ColumnDataType | Expression<unknown> => (d === 'postgres' ? sql`text collate "C"` : 'text');

const migrationsFor = (d: SqlDialect): Record<string, Migration> => ({
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('runs')
        .addColumn('seq', serialType(d), serialKey(d))
        .addColumn('id', keyText(d), (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('resolved', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('exit_code', 'integer')
        .addColumn('reason', 'text')
        .addColumn('node', 'text')
        .addColumn('gpus', 'text')
        .addColumn('not_before', 'bigint')
        .addColumn('result', 'text')
        .execute();
      await db.schema.createIndex('runs_status').on('runs').columns(['status', 'queue']).execute();
      await db.schema.createIndex('runs_queue_id').on('runs').columns(['queue', 'id']).execute();

      await db.schema
        .createTable('run_labels')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_labels_pk', ['run_id', 'key'])
        .execute();
      await db.schema.createIndex('run_labels_kv').on('run_labels').columns(['key', 'value', 'run_id']).execute();

      await db.schema
        .createTable('attempts')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('node', 'text')
        .addColumn('gpus', 'text')
        .addColumn('external_id', 'text')
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('exit_code', 'integer')
        .addColumn('reason', 'text')
        .addPrimaryKeyConstraint('attempts_pk', ['run_id', 'attempt'])
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('id', serialType(d), serialKey(d))
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .execute();
      await db.schema.createIndex('events_run').on('events').columns(['run_id', 'id']).execute();

      await db.schema
        .createTable('metrics')
        .addColumn('id', serialType(d), serialKey(d))
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('step', 'bigint')
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('metrics_run').on('metrics').columns(['run_id', 'name', 'id']).execute();

      await db.schema
        .createTable('artifacts')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('artifacts_pk', ['run_id', 'attempt', 'path'])
        .execute();

      await db.schema
        .createTable('queues')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('concurrency', 'integer')
        .execute();

      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '0002_nodes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('nodes')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('tls_dir', 'text')
        .addColumn('gpus', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '0003_groups': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('groups')
        .addColumn('id', keyText(d), (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('counts', 'text', (c) => c.notNull())
        .addColumn('max_parallel', 'integer')
        .addColumn('fail_fast', 'integer', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.alterTable('runs').addColumn('group_id', 'text').execute();
      await db.schema.alterTable('runs').addColumn('item_key', 'text').execute();
      await db.schema.createIndex('runs_group').on('runs').columns(['group_id', 'status', 'id']).execute();
    },
  },
  '0004_templates': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('template_versions')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('files', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('template_versions_pk', ['name', 'version'])
        .execute();
      await db.schema.alterTable('runs').addColumn('template', 'text').execute();
      await db.schema.alterTable('runs').addColumn('template_version', 'integer').execute();
    },
  },
  '0005_datasets': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('datasets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  // The runs page filters by status, template or name and pages newest first over 100,000s of runs:
  // each filter gets an index that also yields the order, so a page reads ~50 rows, not the table.
  '0006_run_list_indexes': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('runs_status_id').on('runs').columns(['status', 'id']).execute();
      await db.schema.createIndex('runs_template_id').on('runs').columns(['template', 'id']).execute();
      await db.schema.createIndex('runs_name_id').on('runs').columns(['name', 'id']).execute();
    },
  },
  // Sort and filter runs by params, result fields and metric summaries (run-fields.ts): the index
  // yields a field's runs in value order, so a sorted page reads ~50 rows.
  '0007_run_fields': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('run_fields')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('field', keyText(d), (c) => c.notNull())
        .addColumn('num', 'double precision')
        .addColumn('text', 'text')
        .addPrimaryKeyConstraint('run_fields_pk', ['run_id', 'field'])
        .execute();
      await db.schema.createIndex('run_fields_sort').on('run_fields').columns(['field', 'num', 'text', 'run_id']).execute();
      await backfillFields(db as Kysely<Database>);
    },
  },
  // Job SDKs retry and spool their reports; the reporter's own id makes a second copy a no-op.
  '0008_report_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('metrics').addColumn('key', 'text').execute();
      await db.schema.alterTable('events').addColumn('key', 'text').execute();
      await db.schema.createIndex('metrics_run_key').unique().on('metrics').columns(['run_id', 'key']).execute();
      await db.schema.createIndex('events_run_key').unique().on('events').columns(['run_id', 'key']).execute();
    },
  },
  '0009_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_id', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  // Users with roles own tokens, runs, groups, template versions and datasets (who created them).
  '0010_users': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('tokens').addColumn('user_name', 'text').execute();
      await db.schema.alterTable('tokens').addColumn('expires_at', 'bigint').execute();
      await db.schema.createIndex('tokens_user').on('tokens').column('user_name').execute();
      for (const table of ['runs', 'groups', 'template_versions', 'datasets']) await db.schema.alterTable(table).addColumn('created_by', 'text').execute();
      await db.schema.createIndex('runs_created_by_id').on('runs').columns(['created_by', 'id']).execute();
      // Tokens made before users were the bootstrap admin's.
      const typed = db as Kysely<Database>;
      await typed.updateTable('tokens').set({ user_name: BOOTSTRAP_USER }).where('user_name', 'is', null).execute();
      const first = await typed.selectFrom('tokens').select('created_at').orderBy('created_at').limit(1).executeTakeFirst();
      if (first) await typed.insertInto('users').values({ name: BOOTSTRAP_USER, role: 'admin', disabled: 0, created_at: first.created_at }).execute();
    },
  },
});

export const migrationProvider = (d: SqlDialect): MigrationProvider => ({
  getMigrations: () => Promise.resolve(migrationsFor(d)),
});
