import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { customerStreamId, decide, evolve, initialState, type CustomerCommand } from '../../libs/domain/src';
import { handleCommand } from '../../libs/event-store/src';
import { loadConfig, openRuntime } from '../../apps/engine/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Issue 4, acceptance 4: the built engine (`npm start`) refuses to start on an invalid segments config and names
 * the entry: an unknown family, overlapping rules with no order, a negative threshold.
 */
const MAIN = resolve(__dirname, '../../dist/apps/api/src/main.js');

let database: TestDatabase;
let dir: string;
beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'segments-config-'));
  // One customer with a booking in SEK and one in EUR, projected into segment_facts.
  const runtime = await openRuntime(loadConfig({ DATABASE_URL: database.url }), () => undefined);
  const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'test', role: 'system' }, source: 'system' };
  const trip = (bookingId: string, currency: string): object => ({
    bookingId,
    destination: { country: 'SE', city: 'Kiruna' },
    departureDate: '2026-02-01',
    returnDate: '2026-02-08',
    amount: { value: 1_500_000, currency },
    travellers: 2,
    productType: 'adventure',
    channel: 'agent',
  });
  const commands: [CustomerCommand['type'], object][] = [
    ['RegisterCustomer', { name: 'Sven Test', timeZone: 'Europe/Stockholm', language: 'sv', preferredChannel: 'email', marketingConsent: false }],
    ['BookTrip', trip('b1', 'SEK')],
    ['BookTrip', trip('b2', 'EUR')],
    ['BookTrip', trip('b3', 'EUR')],
    ['AmendBooking', { bookingId: 'b3', amount: { value: 16_000_000, currency: 'NOK' } }],
  ];
  for (const [type, data] of commands) {
    const command = { type, customerId: 'sven', data, occurredAt: '2025-11-01T10:00:00Z' } as CustomerCommand;
    await handleCommand(runtime.store, customerStreamId('sven'), { decide, evolve, initialState }, command, { metadata, newId: randomUUID });
  }
  // The start-up check reads the projected facts: every booking must be in them before the engine starts.
  await allEventsVisible(runtime.readModels);
  await runtime.projector.catchUp('segment_facts');
  const { rows } = await runtime.readModels.query('SELECT count(*)::int AS n FROM read_models.segment_facts_bookings');
  expect(rows[0].n).toBe(3);
  await runtime.close();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await database.drop();
});

/** Starts the engine with the config file and waits for it to stop; it must stop by itself within 30 s. */
async function start(config: object): Promise<{ code: number | null; output: string }> {
  const file = join(dir, `${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(config));
  return new Promise((done) => {
    const child = execFile(process.execPath, [MAIN], { env: { ...process.env, DATABASE_URL: database.url, PORT: '0', SEGMENTS_CONFIG: file }, timeout: 30_000 }, (_, stdout, stderr) =>
      done({ code: child.exitCode, output: `${stdout}${stderr}` }),
    );
  });
}

const query = async (sql: string): Promise<unknown[]> => {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

/** Runs the engine with the config file until its output satisfies `until` (then SIGTERM), at most 30 s. */
async function running(config: object, until: (output: string) => boolean): Promise<{ output: string }> {
  const file = join(dir, `${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(config));
  return new Promise((done) => {
    let output = '';
    const child = execFile(process.execPath, [MAIN], { env: { ...process.env, DATABASE_URL: database.url, PORT: '0', SEGMENTS_CONFIG: file }, timeout: 30_000 });
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      if (until(output)) child.kill('SIGTERM');
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', () => done({ output }));
  });
}

const SEK = { SEK: 0.087, NOK: 0.085 };

describe('npm start with an invalid segments config', () => {
  it.each([
    ['an unknown family', { version: 'v2', currency: { rates: SEK }, loyalty: {} }, /- loyalty: unknown family \(known: version, currency, rfm,/],
    [
      'overlapping RFM rules with no order',
      { version: 'v2', currency: { rates: SEK }, rfm: { segments: { Everyone: { r: [1, 5], f: [1, 5], m: [1, 5] }, Recent: { r: [5, 5], f: [1, 5], m: [1, 5] } } } },
      /- rfm\.segments\.Recent: overlaps rfm\.segments\.Everyone \(both match R5 F1 M1\) with no order between them/,
    ],
    ['a negative threshold', { version: 'v2', currency: { rates: SEK }, valueTiers: { diamond: { minAverageBookingValue: -5000 } } }, /- valueTiers\.diamond\.minAverageBookingValue: /],
  ])('stops with exit code 1 naming the entry: %s', async (_, config, message) => {
    const { code, output } = await start(config);
    expect(output).toMatch(/^SEGMENTS_CONFIG=.*\.json is invalid:$/m);
    expect(output).toMatch(message);
    expect(output).not.toContain('listening on');
    expect(code).toBe(1);
  }, 40_000);

  it('starts with a valid one that has the rate', async () => {
    const { output } = await running({ version: 'v2', currency: { rates: SEK } }, (output) => output.includes('listening on'));
    expect(output).toContain('listening on');
    expect(output).not.toContain('segments config conflict');
  }, 40_000);
});

/**
 * Issue 15: data already in the log never stops the start. A booking currency the config has no rate for is a
 * reported conflict: a log line at start, and the segment evaluation fails visibly (recorded with its reason, which
 * GET /segments shows) while the API and the projections run.
 */
describe('npm start with a segments config that lacks a rate for bookings already in the log', () => {
  it.each([
    ['no rate for a currency the bookings are in', { version: 'v2' }, 'SEK'],
    ['no rate for the currency a booking was amended to', { version: 'v2', currency: { rates: { SEK: 0.087 } } }, 'NOK'],
    ['another base currency without a rate for the bookings in EUR', { version: 'usd', currency: { base: 'USD', rates: { USD: 1, SEK: 0.094, NOK: 0.092 } } }, 'EUR'],
  ])('starts, reports the conflict and records the evaluation as failed: %s', async (_, config, currency) => {
    // No evaluation on record, so the engine evaluates at start (an earlier case's engine, with the rate, may have
    // recorded one before its SIGTERM; then nothing is due and no failure could show).
    await query('TRUNCATE read_models.segment_evaluations, read_models.segment_evaluation_failures CASCADE');
    const failed = new RegExp(`segment evaluation failed .*currency\\.rates\\.${currency}`);
    const { output } = await running(config, (output) => output.includes('listening on') && failed.test(output));
    expect(output).toMatch(new RegExp(`segments config conflict: SEGMENTS_CONFIG=.*\\.json has no currency\\.rates\\.${currency}, and bookings in the log are in ${currency}`));
    expect(output).toContain('listening on');
    const rows = await query('SELECT reason, attempts FROM read_models.segment_evaluation_failures');
    expect(rows).toEqual([{ reason: expect.stringContaining(`currency.rates.${currency}`), attempts: expect.any(Number) }]);
  }, 40_000);
});
