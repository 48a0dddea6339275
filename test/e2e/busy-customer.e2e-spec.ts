import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { customerStreamId, decide, evolve, initialState, type AnyCustomerCommand, type CustomerEvent, type CustomerState } from '../../libs/domain/src';
import { toDomainEvent, type NewEvent } from '../../libs/event-store/src';
import { scheduleCustomer, touchpointId, type CustomerTouchpointFacts } from '../../libs/touchpoints/src';
import { startTestApp, type TestApp } from '../support/test-app';
import { until } from '../support/until';
import { command, registration } from './customer-api.fixtures';

/**
 * Acceptance (issue 15): one customer cannot stall the engine. 2,000 bookings on one customer (with departures,
 * returns, cancellations and completed touchpoints, about 7,000 events), written straight to the log: while the
 * projections catch up, /health keeps answering, and the catch-up takes seconds. Before, scheduling was cubic and ran
 * on the main thread: /health timed out on 478 of 480 probes for 12 minutes.
 *
 * What is printed: /health probed open-loop every 25 ms on a fixed timetable, each probe's latency counted from when
 * it was due (a stalled event loop cannot hide by delaying the probes), and the event-loop delay (monitorEventLoopDelay:
 * the app runs in this process). Both also measure the machine: on a 2-core CI machine shared with other suites and
 * PostgreSQL, the process waits for a core for hundreds of ms. What is asserted does not: the longest stretch of
 * main-thread CPU time between two ticks of a 5 ms timer, against the main-thread CPU time one schedule of this
 * customer takes. With the scheduling on the main thread, each batch stalls the loop for at least that long.
 */

const BOOKINGS = 2_000;
/** Often enough for a p99 over a catch-up of seconds, rarely enough that the probes are not themselves the load. */
const PROBE_EVERY_MS = 25;
const CUSTOMER = 'busy-1';
const CATCH_UP_BOUND_MS = 120_000;
const SETUP_MS = 60_000;

const DAY = 86_400_000;
const iso = (atMs: number): string => new Date(atMs).toISOString();

/** The customer's commands after registration: trips a few days apart for years, most travelled, some cancelled, post-trip calls completed. */
function busyLife(): AnyCustomerCommand[] {
  const commands: AnyCustomerCommand[] = [];
  const push = (type: AnyCustomerCommand['type'], data: object, atMs: number): void => void commands.push({ type, customerId: CUSTOMER, data, occurredAt: iso(atMs) } as AnyCustomerCommand);
  let departure = Date.parse('2025-03-01T00:00:00Z');
  for (let n = 0; n < BOOKINGS; n++) {
    const bookingId = `b-${n}`;
    departure += (n % 5) * DAY;
    const back = departure + (3 + (n % 9)) * DAY;
    const bookedAt = departure - (20 + (n % 60)) * DAY;
    push('BookTrip', { bookingId, destination: { country: 'GR', city: 'Chania' }, departureDate: iso(departure).slice(0, 10), returnDate: iso(back).slice(0, 10), amount: { value: 100_000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' }, bookedAt);
    if (n % 13 === 5) {
      push('CancelBooking', { bookingId, reason: 'illness' }, bookedAt + DAY);
      continue;
    }
    push('RecordDeparture', { bookingId }, departure + 8 * 3_600_000);
    push('RecordReturn', { bookingId }, back + 15 * 3_600_000);
    if (n % 2 === 0) push('CompleteTouchpoint', { touchpointId: touchpointId(CUSTOMER, 'welcome-home-call', bookingId), outcome: 'done', note: 'fine' }, back + 2 * DAY);
  }
  // The log is in occurredAt order per stream as a back-office import would write it; the fold does not need it.
  return commands.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
}

/** CPU time of this process's main thread in ms (Linux: utime + stime of the thread, in clock ticks of 10 ms). */
const mainThreadCpuMs = (): number => {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/** Records the longest main-thread CPU time between two ticks of a 5 ms timer: how long the event loop was held. */
function watchStalls(): { stop(): number } {
  let last = mainThreadCpuMs();
  let longest = 0;
  const timer = setInterval(() => {
    const now = mainThreadCpuMs();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  return { stop: () => (clearInterval(timer), longest) };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

describe('a customer with 2,000 bookings', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    // The projector is started by the test once the events are written: what is measured is the catch-up.
    t = await startTestApp({ RUN_PROJECTOR: 'false' });
    await t.app.listen(0, '127.0.0.1');
    url = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
  }, SETUP_MS);
  afterAll(() => t.close(), SETUP_MS);

  it('keeps the event loop free while the projections catch up (/health answers throughout), and they catch up in seconds', async () => {
    await command(t, 'post', '/customers', registration(CUSTOMER, { occurredAt: '2024-01-01T09:00:00Z', marketingConsent: true }), 201);
    // Decided here (the same decider), appended in chunks: the point is the catch-up, not the write path.
    const streamId = customerStreamId(CUSTOMER);
    let state: CustomerState = initialState();
    const history = await t.runtime.store.readStream(streamId);
    for (const recorded of history) state = evolve(state, toDomainEvent<CustomerEvent>(recorded));
    const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'importer', role: 'system' }, source: 'import', schemaVersion: 1 };
    const events: NewEvent[] = [];
    for (const next of busyLife()) {
      for (const event of decide(next, state, {})) {
        state = evolve(state, event);
        events.push({ eventId: randomUUID(), type: event.type, data: event.data as Record<string, unknown>, occurredAt: event.occurredAt, metadata });
      }
    }

    let version = history.length;
    for (let i = 0; i < events.length; i += 1_000) {
      version = (await t.runtime.store.append(streamId, events.slice(i, i + 1_000), { expectedVersion: version })).version;
    }
    const head = (await t.runtime.readModels.query<{ p: string }>('SELECT max(global_position) AS p FROM event_store.events')).rows[0].p;

    const latencies: number[] = [];
    let probing = true;
    const probes: Promise<void>[] = [];
    const startedAt = performance.now();
    const prober = (async () => {
      for (let k = 0; probing; k++) {
        const dueAt = startedAt + k * PROBE_EVERY_MS;
        const wait = dueAt - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        probes.push(
          fetch(`${url}/health`).then(async (res) => {
            await res.text();
            if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
            latencies.push(performance.now() - dueAt);
          }),
        );
      }
    })();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const stalls = watchStalls();
    const projecting = new AbortController();
    const projector = t.runtime.projector.run(projecting.signal);
    const catchUpMs = await until('every projection has passed the last event', () => t.runtime.projector.waitFor(Number(head), 0), CATCH_UP_BOUND_MS);
    loop.disable();
    const longestStallMs = stalls.stop();
    probing = false;
    await prober;
    await Promise.all(probes);
    projecting.abort();
    await projector;

    const sorted = [...latencies].sort((a, b) => a - b);
    const [p50, p99, max] = [percentile(sorted, 50), percentile(sorted, 99), sorted[sorted.length - 1]];
    // One schedule of this customer on the main thread, as the projection ran it before (issue 15).
    const { rows: stored } = await t.runtime.readModels.query<{ facts: CustomerTouchpointFacts }>('SELECT facts FROM read_models.touchpoint_facts WHERE customer_id = $1', [CUSTOMER]);
    const cpuBefore = mainThreadCpuMs();
    const scheduled = scheduleCustomer(stored[0].facts, [], t.runtime.touchpoints);
    const scheduleCpuMs = mainThreadCpuMs() - cpuBefore;
    const rows = await t.runtime.readModels.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM read_models.touchpoints WHERE customer_id = $1 GROUP BY status`, [CUSTOMER]);
    const touchpoints = rows.rows.reduce((sum, row) => sum + Number(row.n), 0);
    console.log(
      `${events.length} events of one customer (${BOOKINGS} bookings, ${touchpoints} touchpoints): the projections caught up in ${(catchUpMs / 1000).toFixed(1)} s; /health (${sorted.length} probes): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, ` +
        `max ${max.toFixed(0)} ms; event-loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(0)} ms; ` +
        `longest main-thread stall ${longestStallMs} ms CPU (one schedule of this customer on it: ${scheduleCpuMs} ms CPU)`,
    );

    expect(touchpoints).toBe(scheduled.length);
    expect(touchpoints).toBeGreaterThan(BOOKINGS * 5);
    expect(Object.fromEntries(rows.rows.map((row) => [row.status, Number(row.n) > 0]))).toMatchObject({ open: true, done: true, cancelled: true });
    expect(sorted.length).toBeGreaterThan(100);
    expect(scheduleCpuMs).toBeGreaterThan(100);
    expect(longestStallMs).toBeLessThan(scheduleCpuMs / 2);
  }, CATCH_UP_BOUND_MS + SETUP_MS);
});
