import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * `npm run import` as built (npm test builds dist/ first): validation runs on the parser worker thread there,
 * which the in-process tests cannot load. Output goes to a pipe, so progress comes as plain lines.
 */
const CLI = resolve(__dirname, '../../dist/apps/api/src/imports/import.cli.js');
const CDNOW = resolve(__dirname, '../fixtures/cdnow/CDNOW_sample.txt');
const run = promisify(execFile);

let database: TestDatabase;
let dir: string;
beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'import-cli-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await database.drop();
});

const importFile = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: database.url } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

const count = async (): Promise<number> => {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    return Number((await client.query("SELECT count(*) AS n FROM event_store.events WHERE stream_id LIKE 'customer-cdnow-%'")).rows[0].n);
  } finally {
    await client.end();
  }
};

describe('npm run import', () => {
  it('imports the CDNOW sample, then finds every line a duplicate on the second run', async () => {
    const first = await importFile('--format', 'cdnow', CDNOW);
    expect(first.stderr).toMatch(/import: \d+% .* events\/s, ETA/);
    expect(first.stdout).toMatch(/done: 22445 lines read, 22445 imported, 0 rejected, 0 duplicates skipped; 22445 events in/);
    expect(first.code).toBe(0);
    expect(await count()).toBe(22_445);

    const second = await importFile('--format', 'cdnow', CDNOW);
    expect(second.stdout).toMatch(/done: 22445 lines read, 0 imported, 0 rejected, 22445 duplicates skipped; 0 events in/);
    expect(await count()).toBe(22_445);
  });

  it('prints each bad line with its number and reason, imports the rest, and exits with 1', async () => {
    const file = join(dir, 'mixed.ndjson');
    const register = { type: 'RegisterCustomer', customerId: 'cli-1', occurredAt: '2024-01-01T10:00:00Z', name: 'Ana', timeZone: 'Europe/Madrid', language: 'es', preferredChannel: 'sms', marketingConsent: true };
    writeFileSync(file, [JSON.stringify(register), JSON.stringify({ ...register, customerId: 'cli-2', language: 42 }), 'not json'].join('\n'));
    const result = await importFile(file);
    expect(result.stdout).toContain('line 2 (400): language must be a string');
    expect(result.stdout).toContain('line 3 (400): line: must be one JSON object');
    expect(result.stdout).toMatch(/3 lines read, 1 imported, 2 rejected/);
    expect(result.code).toBe(1);
  });

  it('refuses wrong arguments with the usage', async () => {
    const result = await importFile('--format', 'csv', CDNOW);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--format must be ndjson or cdnow');
    expect(result.stderr).toContain('usage: npm run import');
  });
});
