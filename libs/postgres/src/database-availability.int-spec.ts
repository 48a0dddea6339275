import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { DatabaseAvailability } from './database-availability';
import { freePort } from './embedded-database';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const fault = (message: string, code: string): Error => Object.assign(new Error(message), { code });

it('takes the database as down on a connection fault, says so once, and back once a probe answers', async () => {
  const lines: string[] = [];
  const availability = new DatabaseAvailability({ connectionString: database.url }, (line) => lines.push(line), 20);
  expect(availability.failed(fault('relation "x" does not exist', '42P01'))).toBe(false);
  expect(availability.status()).toEqual({ state: 'ok' });

  expect(availability.failed(fault('terminating connection due to administrator command', '57P01'))).toBe(true);
  expect(availability.failed(fault('read ECONNRESET', 'ECONNRESET'))).toBe(true);
  expect(availability.status()).toEqual({ state: 'database-unavailable', since: expect.any(String), lastError: 'read ECONNRESET' });
  expect(availability.unavailable()?.message).toMatch(/^the database is unavailable since .* \(read ECONNRESET\)$/);

  await availability.up(new AbortController().signal);
  expect(availability.status()).toEqual({ state: 'ok' });
  expect(lines).toEqual([expect.stringMatching(/^database unavailable: terminating connection due to administrator command; answering 503/), expect.stringMatching(/^database back after \d+\.\d s$/)]);
  availability.close();
});

it('keeps its waiters waiting while the server refuses, and lets them go when their signal aborts', async () => {
  const availability = new DatabaseAvailability({ connectionString: `postgres://nobody@127.0.0.1:${await freePort()}/none` }, () => undefined, 20);
  availability.failed(fault('connect ECONNREFUSED', 'ECONNREFUSED'));
  const stop = new AbortController();
  let released = false;
  const waiting = availability.up(stop.signal).then(() => (released = true));
  await new Promise((done) => setTimeout(done, 200));
  expect(released).toBe(false);
  expect(availability.status()).toMatchObject({ state: 'database-unavailable', lastError: expect.stringMatching(/ECONNREFUSED/) });
  stop.abort();
  await waiting;
  expect(released).toBe(true);
  availability.close();
});
