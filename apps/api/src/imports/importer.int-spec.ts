import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { PostgresEventStore, SchemaAwareEventStore, type EventStore } from '../../../../libs/event-store/src';
import { CUSTOMER_EVENT_SCHEMAS } from '../../../../libs/domain/src';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { cdnowCommands, readLines } from './import-sources';
import { Importer, type ImportOptions } from './importer';
import { registration, trip } from '../../../../test/e2e/customer-api.fixtures';

let database: TestDatabase;
let raw: PostgresEventStore;
let store: EventStore;
beforeAll(async () => {
  database = await createTestDatabase();
  raw = new PostgresEventStore({ connectionString: database.url });
  await raw.migrate();
  store = new SchemaAwareEventStore(raw, CUSTOMER_EVENT_SCHEMAS);
});
afterAll(async () => {
  await store.close();
  await database.drop();
});

const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await raw.pool.query(sql, params)).rows[0].count);
const storedEvents = (prefix: string) => count(`SELECT count(*) FROM event_store.events WHERE stream_id LIKE $1`, [`customer-${prefix}%`]);

const importText = (text: string, options: ImportOptions = {}) =>
  new Importer(store, { batchSize: 3, ...options }).run(readLines(Readable.from([Buffer.from(text)]), 10_000));

// Import lines are the API's request bodies plus type and customerId.
const register = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'RegisterCustomer', ...registration(id), ...extra });
const book = (id: string, bookingId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'BookTrip', customerId: id, ...trip(bookingId), ...extra });

describe('bulk import', () => {
  it('imports the good lines and reports each bad one with its line number and reason, storing nothing from it', async () => {
    const lines = [
      register('imp-a'), // 1
      book('imp-a', 'b1'), // 2
      '', // 3: blank, skipped
      '{"type":"BookTrip", not json', // 4
      book('imp-a', 'b2', { amount: { value: 100, currency: 'EURO' } }), // 5: domain rule
      book('imp-a', 'b3', { travellers: 0 }), // 6: DTO rule
      book('imp-a', 'b1', { occurredAt: '2025-01-21T10:00:00Z' }), // 7: booking id taken (409)
      book('imp-nobody', 'b1'), // 8: customer not registered (404)
      JSON.stringify({ type: 'RecordDeparture', customerId: 'imp-a', occurredAt: '2025-06-01T08:00:00Z', bookingId: 'b1' }), // 9
      JSON.stringify({ type: 'Teleport', customerId: 'imp-a', occurredAt: '2025-06-01T08:00:00Z' }), // 10
      book('imp-a', 'b4', { occurredAt: undefined }), // 11: occurredAt missing
      book('imp-a', 'b5', { hotel: 'Minos' }), // 12: not in the API shape
    ];
    const summary = await importText(lines.join('\n'));
    expect(summary).toMatchObject({ linesRead: 11, imported: 3, rejected: 8, duplicates: 0, events: 3 });
    expect(summary.rejections.map((r) => [r.line, r.statusCode, r.field ?? r.rule])).toEqual([
      [4, 400, 'line'],
      [5, 400, 'amount.currency'],
      [6, 400, 'travellers'],
      [7, 409, 'booking.id-unique'],
      [8, 404, undefined],
      [10, 400, 'type'],
      [11, 400, 'occurredAt'],
      [12, 400, 'hotel'],
    ]);
    expect(summary.rejections[2].message).toBe('travellers must not be less than 1');
    expect(await storedEvents('imp-')).toBe(3);
    const history = await store.readStream('customer-imp-a');
    expect(history.map((e) => [e.type, e.occurredAt, e.metadata.source])).toEqual([
      ['CustomerRegistered', '2025-01-10T09:00:00.000Z', 'import'],
      ['TripBooked', '2025-01-20T10:00:00.000Z', 'import'],
      ['TripDeparted', '2025-06-01T08:00:00.000Z', 'import'],
    ]);
  });

  it('a re-import of the same file adds nothing, and a grown file adds only its new lines', async () => {
    const lines = [register('rep-a'), book('rep-a', 'b1'), register('rep-b'), book('rep-b', 'b1'), book('rep-b', 'b2')];
    const first = await importText(lines.join('\n'));
    expect(first).toMatchObject({ imported: 5, events: 5, duplicates: 0 });
    const again = await importText(lines.join('\r\n') + '\r\n', { batchSize: 2 });
    expect(again).toMatchObject({ linesRead: 5, imported: 0, events: 0, duplicates: 5, rejected: 0 });
    const grown = await importText(['{"hello": "header"}', ...lines, book('rep-a', 'b9')].join('\n'));
    expect(grown).toMatchObject({ imported: 1, events: 1, duplicates: 5, rejected: 1 });
    expect(await storedEvents('rep-')).toBe(6);
  });

  it('takes the event id given in a line, and treats it as the idempotency key', async () => {
    const eventId = '6f1c7b8e-3a2d-4c1b-9e8f-0a1b2c3d4e5f';
    const line = register('given-a', { eventId });
    expect(await importText(line)).toMatchObject({ imported: 1 });
    expect((await store.readStream('customer-given-a'))[0].eventId).toBe(eventId);
    expect(await importText(register('given-a', { eventId, name: 'Other name' }))).toMatchObject({ duplicates: 1, events: 0 });
    const reused = await importText(register('given-b', { eventId }));
    expect(reused).toMatchObject({ imported: 0, rejected: 1 });
    expect(reused.rejections[0]).toMatchObject({ line: 1, statusCode: 409, rule: 'event.id-unique' });
  });

  it('keeps the good lines of a batch whose transaction failed, and names the line at fault', async () => {
    await store.append('customer-race-a', [
      {
        eventId: '00000000-0000-4000-8000-00000000000a',
        type: 'CustomerRegistered',
        data: { customerId: 'race-a', name: 'A', timeZone: 'UTC', language: 'en', preferredChannel: 'email', tags: [], marketingConsent: false },
        occurredAt: '2024-01-01T00:00:00Z',
        metadata: { correlationId: 'x', causationId: 'x', actor: { id: 't', role: 't' }, source: 'api', schemaVersion: 1 },
      },
    ]);
    // Line 2 reuses the id of an event stored in another stream: only the COPY finds out, and the batch rolls back.
    const lines = [register('race-b'), register('race-c', { eventId: '00000000-0000-4000-8000-00000000000a' }), register('race-d')];
    const summary = await importText(lines.join('\n'), { batchSize: 10 });
    expect(summary).toMatchObject({ imported: 2, rejected: 1, events: 2 });
    expect(summary.rejections[0]).toMatchObject({ line: 2, rule: 'event.id-unique' });
    expect(await storedEvents('race-')).toBe(3);
  });

  it('imports the CDNOW sample: 2,357 customers, 6,696 purchase days, each a booking and a completed trip', async () => {
    const file = createReadStream(`${__dirname}/../../../../test/fixtures/cdnow/CDNOW_sample.txt`);
    const summary = await new Importer(store).run(cdnowCommands(readLines(file, 10_000)));
    expect(summary).toMatchObject({ rejected: 0, duplicates: 0, imported: 2357 + 3 * 6696, events: 2357 + 3 * 6696 });
    const byType = await raw.pool.query(
      `SELECT type, count(*)::int AS n, count(DISTINCT stream_id)::int AS customers FROM event_store.events
        WHERE stream_id LIKE 'customer-cdnow-%' GROUP BY type ORDER BY type`,
    );
    expect(byType.rows).toEqual([
      { type: 'CustomerRegistered', n: 2357, customers: 2357 },
      { type: 'TripBooked', n: 6696, customers: 2357 },
      { type: 'TripDeparted', n: 6696, customers: 2357 },
      { type: 'TripReturned', n: 6696, customers: 2357 },
    ]);
    // Every one of the file's 6,919 transactions is in some booking: the cents add up to the file's dollar total.
    const rows = readFileSync(`${__dirname}/../../../../test/fixtures/cdnow/CDNOW_sample.txt`, 'utf8').trim().split(/\r?\n/);
    expect(rows).toHaveLength(6919);
    const fileCents = rows.reduce((sum, row) => sum + Math.round(Number(row.trim().split(/\s+/)[4]) * 100), 0);
    const stored = await raw.pool.query(
      `SELECT sum((data->'amount'->>'value')::bigint)::bigint AS cents FROM event_store.events WHERE stream_id LIKE 'customer-cdnow-%' AND type = 'TripBooked'`,
    );
    expect(Number(stored.rows[0].cents)).toBe(fileCents);
    // The file's first customer; then one with two transactions on one day (1997-01-13: $166.89 + $60.25).
    const four = await store.readStream('customer-cdnow-4');
    expect(four.filter((e) => e.type === 'TripBooked').map((e) => [e.data.departureDate, e.data.amount])).toEqual([
      ['1997-01-01', { value: 2933, currency: 'USD' }],
      ['1997-01-18', { value: 2973, currency: 'USD' }],
      ['1997-08-02', { value: 1496, currency: 'USD' }],
      ['1997-12-12', { value: 2648, currency: 'USD' }],
    ]);
    const sameDay = (await store.readStream('customer-cdnow-314')).find((e) => e.data.departureDate === '1997-01-13');
    expect(sameDay?.data.amount).toEqual({ value: 22714, currency: 'USD' });
  });
});
