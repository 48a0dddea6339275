import type { Response } from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app';
import { command, registration, trip } from './customer-api.fixtures';

/**
 * Acceptance (issue 14): a hot stream. Commands for one customer inside one process take turns in a per-stream queue
 * (COMMAND_QUEUE_MAX_WAITING, COMMAND_QUEUE_TIMEOUT_MS), so they never lose a race to each other: 40 concurrent
 * bookings all answer 201. Before the queue, 15 of them answered 409 once their ten retries were spent.
 */

const BOOKINGS = 40;
/** Starting an app on a fresh database (migrations), or closing it. */
const SETUP_MS = 60_000;

interface Row {
  stream_position: string;
  global_position: string;
  type: string;
  booking_id: string | null;
}

const streamRows = async (t: TestApp, customerId: string): Promise<Row[]> =>
  (
    await t.runtime.readModels.query<Row>(
      `SELECT stream_position, global_position, type, data->>'bookingId' AS booking_id FROM event_store.events WHERE stream_id = $1 ORDER BY stream_position`,
      [`customer-${customerId}`],
    )
  ).rows;

/** Every booking sent at once; the app listens once, so the requests really are in flight together. */
const bookAtOnce = (t: TestApp, customerId: string): Promise<{ bookingId: string; res: Response }[]> =>
  Promise.all(
    Array.from({ length: BOOKINGS }, async (_, i) => {
      const bookingId = `hot-${i}`;
      return { bookingId, res: await t.http().post(`/customers/${customerId}/bookings`).send(trip(bookingId)) };
    }),
  );

const expectContiguous = (rows: Row[]): void => expect(rows.map((row) => Number(row.stream_position))).toEqual(rows.map((_, i) => i + 1));

describe('a hot stream, with the default limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
  }, SETUP_MS);
  afterAll(() => t.close(), SETUP_MS);

  it(`answers ${BOOKINGS} concurrent bookings for one customer with 201, storing each once at contiguous positions`, async () => {
    await command(t, 'post', '/customers', registration('hot-1'), 201);
    const answers = await bookAtOnce(t, 'hot-1');
    expect(answers.filter((a) => a.res.status !== 201).map((a) => `${a.res.status} ${a.res.text}`)).toEqual([]);

    const rows = await streamRows(t, 'hot-1');
    expect(rows).toHaveLength(1 + BOOKINGS);
    expectContiguous(rows);
    const booked = rows.filter((row) => row.type === 'TripBooked');
    expect(booked.map((row) => row.booking_id).sort()).toEqual(answers.map((a) => a.bookingId).sort());
    // Each answer names the version and position its own event was stored at.
    for (const { bookingId, res } of answers) {
      const row = booked.find((r) => r.booking_id === bookingId)!;
      expect({ bookingId, version: res.body.version, position: res.body.position }).toEqual({
        bookingId,
        version: Number(row.stream_position),
        position: Number(row.global_position),
      });
    }
    expect(t.runtime.commandQueue.activeKeys).toBe(0);
  });

  it('queues forgetting with the commands: none of them answers a version conflict', async () => {
    await command(t, 'post', '/customers', registration('hot-2'), 201);
    const [forget, answers] = await Promise.all([
      // Sent among the bookings: the ones queued behind it are refused by the rule, never by a lost race.
      new Promise((resolve) => setTimeout(resolve, 5)).then(() => t.http().post('/customers/hot-2/forget').send({ reason: 'erasure request 2025-7' })),
      bookAtOnce(t, 'hot-2'),
    ]);
    expect(forget.status).toBe(200);
    const refused = answers.filter((a) => a.res.status !== 201);
    for (const { res } of refused) expect({ status: res.status, rule: res.body.rule }).toEqual({ status: 409, rule: 'customer.forgotten' });

    const rows = await streamRows(t, 'hot-2');
    expectContiguous(rows);
    // Everything accepted was stored before CustomerForgotten, nothing after it.
    expect(rows.map((row) => row.type)).toEqual(['CustomerRegistered', ...Array(BOOKINGS - refused.length).fill('TripBooked'), 'CustomerForgotten']);
    expect(forget.body.version).toBe(rows.length);
  });
});

describe('a hot stream past its bound (COMMAND_QUEUE_MAX_WAITING=1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ COMMAND_QUEUE_MAX_WAITING: '1' });
    await t.app.listen(0, '127.0.0.1');
  }, SETUP_MS);
  afterAll(() => t.close(), SETUP_MS);

  it('answers the commands that find no room 503 with Retry-After, and writes nothing of them', async () => {
    await command(t, 'post', '/customers', registration('hot-3'), 201);
    const answers = await bookAtOnce(t, 'hot-3');
    const accepted = answers.filter((a) => a.res.status === 201);
    const refused = answers.filter((a) => a.res.status !== 201);
    expect(refused.length).toBeGreaterThan(0);
    for (const { res } of refused) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'customer-hot-3 is busy: its queue in this process is full (1 waiting); nothing was written, send it again',
        rule: 'command-queue.bounded',
        maxWaiting: 1,
        retryAfterSeconds: 1,
      });
    }

    const rows = await streamRows(t, 'hot-3');
    expectContiguous(rows);
    expect(rows.filter((row) => row.type === 'TripBooked').map((row) => row.booking_id).sort()).toEqual(accepted.map((a) => a.bookingId).sort());
    // A refused booking sent again is accepted once the line has drained.
    await command(t, 'post', '/customers/hot-3/bookings', trip(refused[0].bookingId), 201);
  });
});
