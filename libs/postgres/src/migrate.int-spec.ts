import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { migrate, routineFiles, type Migration } from './';

let database: TestDatabase;
let pool: Pool;
let dir: string;
let routines: readonly string[];

// A component in miniature: a table (DDL), a routine that writes to it, and a backfill that calls the routine.
const MIGRATIONS: Migration[] = [
  { version: 1, name: 'notes', sql: 'CREATE SCHEMA demo; CREATE TABLE demo.notes (id int PRIMARY KEY, text text NOT NULL)' },
  { version: 2, name: 'greet everyone once', sql: 'CREATE TABLE demo.people (name text)', afterRoutines: `SELECT demo.note(1, 'hello')` },
];
const NOTE = `CREATE OR REPLACE FUNCTION demo.note(p_id int, p_text text) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO demo.notes VALUES (p_id, p_text);
END
$fn$;
`;
const COUNT = `CREATE OR REPLACE FUNCTION demo.notes_count() RETURNS bigint LANGUAGE sql STABLE RETURN (SELECT count(*) FROM demo.notes);\n`;

/** Every function of the demo schema: its definition as PostgreSQL prints it, and the row's identity. */
const routinesNow = async (): Promise<{ name: string; definition: string }[]> =>
  (
    await pool.query<{ name: string; definition: string }>(
      `SELECT p.oid::regprocedure::text AS name, pg_get_functiondef(p.oid) AS definition
         FROM pg_proc p WHERE p.pronamespace = 'demo'::regnamespace ORDER BY 1`,
    )
  ).rows;
const applied = async (): Promise<number[]> =>
  (await pool.query<{ version: number }>(`SELECT version FROM migrations.applied WHERE component = 'demo' ORDER BY version`)).rows.map((r) => r.version);

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url, max: 8 });
  dir = await mkdtemp(join(tmpdir(), 'routines-'));
  await writeFile(join(dir, 'note.sql'), NOTE);
  await writeFile(join(dir, 'count.sql'), COUNT);
  routines = routineFiles(dir, 'note.sql', 'count.sql');
});

afterAll(async () => {
  await pool.end();
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

it('installs the routines after the migrations, then runs what the new migrations needed them for, once', async () => {
  expect(await migrate(pool, 'demo', MIGRATIONS, routines)).toEqual([1, 2]);
  expect((await pool.query('SELECT demo.notes_count() AS n')).rows[0].n).toBe('1');
  expect((await routinesNow()).map((r) => r.name)).toEqual(['demo.note(integer,text)', 'demo.notes_count()']);
});

it('installing again is a no-op: the same routines, no migration, no backfill run twice', async () => {
  const before = await routinesNow();
  expect(await migrate(pool, 'demo', MIGRATIONS, routines)).toEqual([]);
  expect(await routinesNow()).toEqual(before);
  expect((await pool.query('SELECT demo.notes_count() AS n')).rows[0].n).toBe('1');
});

it('concurrent starts, on a fresh database too, each apply every migration exactly once', async () => {
  await pool.query('DROP SCHEMA demo CASCADE; DELETE FROM migrations.applied');
  const results = await Promise.all(Array.from({ length: 6 }, () => migrate(pool, 'demo', MIGRATIONS, routines)));
  expect(results.flat().sort()).toEqual([1, 2]);
  expect(await applied()).toEqual([1, 2]);
  expect((await pool.query('SELECT demo.notes_count() AS n')).rows[0].n).toBe('1');
  expect((await routinesNow()).map((r) => r.name)).toEqual(['demo.note(integer,text)', 'demo.notes_count()']);
});

it('a routine that fails to install rolls back the migrations of that start, and names its file', async () => {
  await writeFile(join(dir, 'broken.sql'), 'CREATE OR REPLACE FUNCTION demo.broken() RETURNS int LANGUAGE sql RETURN (SELECT missing FROM demo.nowhere);\n');
  const next: Migration[] = [...MIGRATIONS, { version: 3, name: 'tags', sql: 'CREATE TABLE demo.tags (tag text)' }];
  await expect(migrate(pool, 'demo', next, [...routines, join(dir, 'broken.sql')])).rejects.toThrow(/broken\.sql: .*demo\.nowhere/);
  expect(await applied()).toEqual([1, 2]);
  expect((await pool.query(`SELECT to_regclass('demo.tags') AS t`)).rows[0].t).toBeNull();
});

it('a routine file missing from the build stops the start before anything changes', async () => {
  const next: Migration[] = [...MIGRATIONS, { version: 3, name: 'tags', sql: 'CREATE TABLE demo.tags (tag text)' }];
  await expect(migrate(pool, 'demo', next, [join(dir, 'not-copied.sql')])).rejects.toThrow(/not-copied\.sql/);
  expect(await applied()).toEqual([1, 2]);
});
