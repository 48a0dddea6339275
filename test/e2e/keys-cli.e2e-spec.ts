import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** `npm run keys` as built (npm test builds dist/ first), against a test database: the per-key rate limit (issue 14). */
const CLI = resolve(__dirname, '../../dist/apps/api/src/auth/keys.cli.js');
const run = promisify(execFile);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const keys = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: database.url } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

it('creates keys with their own rate limit or the default, and lists it', async () => {
  const slow = await keys('create', '--name', 'sync-slow', '--role', 'agent', '--rate-limit', '120');
  expect(slow.stdout).toContain('created agent key "sync-slow"');
  expect(slow.stdout).toContain('120 requests a minute');
  expect(slow.code).toBe(0);
  expect((await keys('create', '--rate-limit', '1000000', '--name', 'sync-fast', '--role', 'manager')).code).toBe(0);
  expect((await keys('create', '--name', 'plain', '--role', 'analyst')).stdout).toContain('60000 requests a minute');
  const { stdout } = await keys('list');
  expect(stdout).toMatch(/sync-slow {2}agent {2}tlk_\S+ {2}120\/min {2}created/);
  expect(stdout).toMatch(/sync-fast {2}manager {2}tlk_\S+ {2}1000000\/min {2}created/);
  expect(stdout).toMatch(/plain {2}analyst {2}tlk_\S+ {2}60000\/min {2}created/);
});

it.each([
  ['0', '"0"'],
  ['1000001', '"1000001"'],
  ['12.5', '"12.5"'],
  ['-5', '"-5"'],
  ['1e3', '"1e3"'],
  ['lots', '"lots"'],
  ['', '""'],
])('refuses --rate-limit %p with a message naming the option and the rule, and exit code 2', async (value, shown) => {
  const { code, stderr, stdout } = await keys('create', '--name', 'bad', '--role', 'agent', '--rate-limit', value);
  expect(stderr).toContain(`--rate-limit: must be a whole number of requests a minute from 1 to 1000000 (digits only), got ${shown}`);
  expect(stderr).toContain('usage: npm run keys -- <command>');
  expect(stdout).toBe('');
  expect(code).toBe(2);
});

it('refuses --rate-limit without a value', async () => {
  const { code, stderr } = await keys('create', '--name', 'bad', '--role', 'agent', '--rate-limit');
  expect(stderr).toContain('unknown option or missing value: --rate-limit');
  expect(code).toBe(2);
});
