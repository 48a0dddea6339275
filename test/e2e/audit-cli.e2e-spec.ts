import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { PostgresEventStore } from '../../libs/event-store/src';
import { newEvent } from '../contract/event-store.contract';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { sealEverything } from '../support/chain-fixtures';

/** `npm run audit -- verify` as built (npm test builds dist/ first), against a test database. */
const CLI = resolve(__dirname, '../../dist/apps/projector/src/audit.cli.js');
const run = promisify(execFile);

let database: TestDatabase;
let store: PostgresEventStore;
beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url });
  await store.migrate();
  await store.append('customer-audit-1', [newEvent('CustomerRegistered', { name: 'Ana' }), newEvent('TripBooked', { amount: 1999 })]);
  await store.appendBatch([{ streamId: 'customer-audit-2', events: [newEvent('CustomerRegistered', { name: 'Bo' })], expectedVersion: 'no_stream' }]);
});
afterAll(async () => {
  await store.close();
  await database.drop();
});

const audit = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: database.url, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

describe('npm run audit -- verify', () => {
  it('reports an intact log and exits 0: events not sealed yet as pending, then the seal head', async () => {
    const unsealed = await audit(['verify']);
    expect(unsealed.stdout).toContain('verified 3 events in 2 streams: intact');
    expect(unsealed.stdout).toContain('seal head: nothing sealed yet');
    expect(unsealed.stdout).toMatch(/pending: 3 events not sealed yet, the oldest for \d+\.\d s/);
    expect(unsealed.code).toBe(0);
    await sealEverything(store.pool);
    const { code, stdout } = await audit(['verify']);
    expect(stdout).toContain('verified 3 events in 2 streams: intact');
    expect(stdout).toMatch(/seal head: seal 3 at global position \d+, sha256 [0-9a-f]{64}\npending: 0 events not sealed yet;/);
    expect(code).toBe(0);
  });

  it('names the first broken link after an event was altered with plain SQL, and exits 1', async () => {
    const [target] = await store.readStream('customer-audit-1', { fromPosition: 2 });
    await store.pool.query(`UPDATE event_store.events SET data = jsonb_set(data, '{amount}', '1') WHERE event_id = $1`, [target.eventId]);
    try {
      const { code, stderr } = await audit(['verify']);
      expect(stderr).toContain(
        `BROKEN: the stream chain breaks at stream customer-audit-1, stream position 2, global position ${target.globalPosition}, event ${target.eventId}`,
      );
      expect(code).toBe(1);
    } finally {
      await store.pool.query(`UPDATE event_store.events SET data = $2 WHERE event_id = $1`, [target.eventId, JSON.stringify(target.data)]);
    }
  });

  it('refuses bad arguments with the usage and exit code 2', async () => {
    for (const args of [[], ['check'], ['verify', '--concurrency', '0'], ['verify', '--fast']]) {
      const { code, stderr } = await audit(args);
      expect(stderr).toContain('usage: npm run audit -- <command>');
      expect(code).toBe(2);
    }
  });

  it('says that the EventStoreDB log keeps no hash chain, and exits 2', async () => {
    const { code, stderr } = await audit(['verify'], { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'esdb://127.0.0.1:2113?tls=false' });
    expect(stderr).toContain('tamper evidence (hash chains) is kept by the PostgreSQL event store only');
    expect(code).toBe(2);
  });
});
