import { randomUUID } from 'node:crypto';
import { churnConfig } from '../../libs/churn/src';
import { CHURN_SCHEDULE_STREAM } from '../../libs/domain/src';
import { simulateTransactions } from '../../libs/clv/src';
import { customerStreamId, decide, evolve, initialState, type CustomerCommand } from '../../libs/domain/src';
import { handleCommand, PostgresEventStore } from '../../libs/event-store/src';
import { copyInto, copyLines } from '../../libs/postgres/src';
import { Projector } from '../../libs/projection-engine/src';
import { segmentConfig } from '../../libs/segments/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { churnFactsProjection } from './churn-facts.projection';
import { loadChurnFacts } from './churn-facts.queries';
import { fitAndRecord, scoreAndRecord } from './churn-recording';
import { currentFit, type ChurnSettings } from './churn-model';
import { runChurnSchedule } from './churn-schedule';

let database: TestDatabase;
let store: PostgresEventStore;
let projector: Projector;
const settings: ChurnSettings = { churn: churnConfig(), currency: segmentConfig().currency };

beforeEach(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 12 });
  await store.migrate();
  projector = new Projector(store.pool, store, [churnFactsProjection], { batchSize: 250, pollIntervalMs: 20 });
  await projector.migrate();
});
afterEach(async () => {
  await store.close();
  await database.drop();
});

const rows = async (sql: string): Promise<unknown[]> => JSON.parse(JSON.stringify((await store.pool.query(sql)).rows)) as unknown[];

describe('churn_facts', () => {
  it('keeps trips at their return, amended amounts, cancellations, complaints with severity, surveys and contacts', async () => {
    const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'test', role: 'system' }, source: 'system' };
    const trip = (bookingId: string, value: number): object => ({
      bookingId,
      destination: { country: 'IS', city: 'Reykjavik' },
      departureDate: '2025-03-01',
      returnDate: '2025-03-08',
      amount: { value, currency: 'EUR' },
      travellers: 2,
      productType: 'adventure',
      channel: 'web',
    });
    const commands: [CustomerCommand['type'], object, string][] = [
      ['RegisterCustomer', { name: 'Jón Test', timeZone: 'Atlantic/Reykjavik', language: 'is', preferredChannel: 'email', marketingConsent: true }, '2025-01-01T10:00:00Z'],
      ['BookTrip', trip('b1', 200_000), '2025-01-10T10:00:00Z'],
      ['AmendBooking', { bookingId: 'b1', amount: { value: 240_000, currency: 'EUR' } }, '2025-01-12T10:00:00Z'],
      ['RecordDeparture', { bookingId: 'b1' }, '2025-03-01T08:00:00Z'],
      ['RecordReturn', { bookingId: 'b1' }, '2025-03-08T18:00:00Z'],
      ['BookTrip', trip('b2', 90_000), '2025-03-20T10:00:00Z'],
      ['CancelBooking', { bookingId: 'b2', reason: 'illness' }, '2025-03-25T10:00:00Z'],
      ['FileComplaint', { complaintId: 'C-1', bookingId: 'b1', category: 'guide', severity: 'critical', channel: 'phone', description: 'left behind' }, '2025-03-09T09:00:00Z'],
      ['ResolveComplaint', { complaintId: 'C-1', resolution: 'refund' }, '2025-03-10T09:00:00Z'],
      ['AnswerSurvey', { surveyId: 's1', bookingId: 'b1', nps: 4 }, '2025-03-11T09:00:00Z'],
      ['LogInteraction', { interactionId: 'i1', channel: 'phone', direction: 'outbound', topic: 'welcome home', summary: 'ok' }, '2025-03-12T09:00:00Z'],
    ];
    for (const [type, data, occurredAt] of commands) {
      await handleCommand(store, customerStreamId('jon'), { decide, evolve, initialState }, { type, customerId: 'jon', data, occurredAt } as CustomerCommand, { metadata, newId: randomUUID });
    }
    await allEventsVisible(store.pool);
    await projector.catchUp('churn_facts');
    expect(await rows('SELECT booking_id, booked_at, amount_value::int, currency, returned_at, cancelled_at FROM read_models.churn_facts_bookings ORDER BY 1')).toEqual([
      { booking_id: 'b1', booked_at: '2025-01-10T10:00:00.000Z', amount_value: 240_000, currency: 'EUR', returned_at: '2025-03-08T18:00:00.000Z', cancelled_at: null },
      { booking_id: 'b2', booked_at: '2025-03-20T10:00:00.000Z', amount_value: 90_000, currency: 'EUR', returned_at: null, cancelled_at: '2025-03-25T10:00:00.000Z' },
    ]);
    expect(await rows('SELECT complaint_id, filed_at, severity, resolved_at FROM read_models.churn_facts_complaints')).toEqual([
      { complaint_id: 'C-1', filed_at: '2025-03-09T09:00:00.000Z', severity: 'critical', resolved_at: '2025-03-10T09:00:00.000Z' },
    ]);
    expect(await rows('SELECT survey_id, answered_at, nps FROM read_models.churn_facts_surveys')).toEqual([{ survey_id: 's1', answered_at: '2025-03-11T09:00:00.000Z', nps: 4 }]);
    expect(await rows('SELECT interaction_id, at, direction FROM read_models.churn_facts_contacts')).toEqual([{ interaction_id: 'i1', at: '2025-03-12T09:00:00.000Z', direction: 'outbound' }]);
  });
});

// The reasons listed open complaints in the order the facts query happened to return them: a rebuild whose tables
// had statistics (so another plan) gave "cp-2, cp-0" where the live scoring said "cp-0, cp-2" (CI, rebuild-from-log).
it("lists a customer's open complaints by when they were filed, whatever their ids or the order they were stored in", async () => {
  // Stored in neither filed nor id order (an import of older complaints after newer ones stores them so).
  await store.pool.query(
    `INSERT INTO read_models.churn_facts_complaints (customer_id, complaint_id, filed_at, severity)
     VALUES ('ana', 'cp-9', '2025-03-02T09:00:00Z', 'low'), ('ana', 'cp-1', '2025-03-03T09:00:00Z', 'low'), ('ana', 'cp-5', '2025-03-01T09:00:00Z', 'low')`,
  );
  const [facts] = await loadChurnFacts(store.pool, Date.parse('2025-04-01T00:00:00Z'), { churn: settings.churn, signals: true, customerId: 'ana' });
  expect(facts.complaints.map((complaint) => complaint.complaintId)).toEqual(['cp-5', 'cp-9', 'cp-1']);
});

/** 400 simulated customers' trips, straight into the facts table (returned at noon on each purchase day). */
async function simulatedTrips(observationEnd: string): Promise<void> {
  const trips = simulateTransactions('bgnbd', { r: 1.2, alpha: 6, a: 1, b: 3 }, { p: 6, q: 4, v: 800 }, 400, { minT: 6, maxT: 30, seed: 7, unit: 'month', observationEnd });
  const client = await store.pool.connect();
  try {
    await copyInto(
      client,
      'COPY read_models.churn_facts_bookings (customer_id, booking_id, booked_at, amount_value, currency, returned_at) FROM STDIN',
      copyLines(trips, (t) => [t.customerId, `${t.customerId}-${t.at}-${Math.random()}`, `${t.at}T08:00:00Z`, Math.round(t.amount * 100), 'EUR', `${t.at}T12:00:00Z`]),
    );
  } finally {
    client.release();
  }
}

describe('the churn schedule', () => {
  const fits = async (): Promise<number> => Number((await store.pool.query('SELECT count(*) AS n FROM read_models.churn_model_fits')).rows[0].n);
  const eventually = async (condition: () => Promise<boolean> | boolean): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('the schedule did not get there within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  /** Lets the schedule poll (every 10 ms) a good many times. */
  const polls = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));

  it('reports data that cannot identify the model once per interval, then fits and scores daily once there is enough', async () => {
    let now = new Date('2026-03-01T02:00:00Z');
    const lines: string[] = [];
    const stop = new AbortController();
    const running = runChurnSchedule(store.pool, store, settings, { intervalMs: 86_400_000, pollMs: 10, log: (line) => lines.push(line), now: () => now }, stop.signal);
    try {
      await eventually(() => lines.length > 0);
      await polls();
      expect(lines).toEqual([expect.stringMatching(/^churn model not fitted as of 2026-03-01T02:00:00.000Z: .*; no model yet$/)]);

      // Enough data now, but within the interval of the failed attempt: no new attempt yet.
      await simulatedTrips('2026-03-01');
      now = new Date('2026-03-01T03:00:00Z');
      await polls();
      expect(lines).toHaveLength(1);
      expect(await fits()).toBe(0);

      now = new Date('2026-03-02T02:00:00Z');
      await eventually(async () => (await fits()) === 1 && lines.length === 3);
      expect(lines[1]).toMatch(/^churn model fitted as of 2026-03-02T02:00:00.000Z: (bgnbd|mbgnbd|pareto-nbd) on 400 customers \(\d+ repeat\), log-likelihood -?\d+\.\d, \d+ ms$/);
      expect(lines[2]).toMatch(/^churn risk scored as of 2026-03-02T02:00:00.000Z with fit 1: 400 customers \(high \d+, medium \d+, low \d+\)/);
      const fit = await currentFit(store.pool);
      expect(fit).toMatchObject({ fitId: 1, cutoff: '2026-03-02T02:00:00.000Z', trigger: 'schedule', actor: 'schedule', customers: 400 });
      expect(fit!.holdout).toMatchObject({ calibrationEnd: '2025-03-02T02:00:00.000Z' });
      // The holdout picture splits the same customers and trips by their repeat trips before the calibration end.
      const { customers, actualTrips, predictedTrips, byRepeatTrips = [] } = fit!.holdout!;
      expect(byRepeatTrips.map((group) => group.repeatTrips)).toEqual([...byRepeatTrips.map((group) => group.repeatTrips)].sort((a, b) => a - b));
      expect(byRepeatTrips.reduce((sum, group) => sum + group.customers, 0)).toBe(customers);
      expect(byRepeatTrips.reduce((sum, group) => sum + group.actual * group.customers, 0)).toBeCloseTo(actualTrips, 1);
      expect(byRepeatTrips.reduce((sum, group) => sum + group.predicted * group.customers, 0)).toBeCloseTo(predictedTrips, -1);

      // The next fit comes a day after the cut-off, not before.
      now = new Date('2026-03-03T01:59:00Z');
      await polls();
      expect(await fits()).toBe(1);
      now = new Date('2026-03-03T02:00:00Z');
      await eventually(async () => (await fits()) === 2);
      expect(await currentFit(store.pool)).toMatchObject({ fitId: 2, cutoff: '2026-03-03T02:00:00.000Z' });
    } finally {
      stop.abort();
      await running;
    }
  });

  it('scores a fit that has no scoring yet (a scoring that failed is run again), without refitting', async () => {
    await simulatedTrips('2026-03-01');
    await fitAndRecord(store.pool, store, settings, { cutoff: '2026-03-01T12:00:00.000Z', trigger: 'on-demand', actor: 'ops' });
    const lines: string[] = [];
    const stop = new AbortController();
    const running = runChurnSchedule(store.pool, store, settings, { intervalMs: 86_400_000, pollMs: 10, log: (line) => lines.push(line), now: () => new Date('2026-03-01T13:00:00Z') }, stop.signal);
    await eventually(() => lines.length > 0);
    stop.abort();
    await running;
    expect(lines).toEqual([expect.stringMatching(/^churn risk scored as of 2026-03-01T12:00:00.000Z with fit 1: 400 customers/)]);
    expect(await fits()).toBe(1);
  });

  it('keeps one scoring: the latest replaces the rows of the one before', async () => {
    await simulatedTrips('2026-03-01');
    const stop = new AbortController();
    const running = runChurnSchedule(store.pool, store, settings, { intervalMs: 86_400_000, pollMs: 10, log: () => undefined, now: () => new Date('2026-03-01T12:00:00Z') }, stop.signal);
    await eventually(async () => (await fits()) === 1);
    stop.abort();
    await running;
    const second = await scoreAndRecord(store.pool, store, settings, '2026-03-01T13:00:00.000Z');
    expect(second).toMatchObject({ scoringId: 2, customers: 400 });
    expect(await rows('SELECT scoring_id::int, count(*)::int AS n FROM read_models.churn_risk GROUP BY 1')).toEqual([{ scoring_id: 2, n: 400 }]);
  });
});

describe('the model choice (issue 19)', () => {
  it('checks every candidate on the holdout, fits the one with the lowest MAE, and records all of them with the fit and its event', async () => {
    await simulatedTrips('2026-03-01');
    const fit = await fitAndRecord(store.pool, store, settings, { cutoff: '2026-03-01T12:00:00.000Z', trigger: 'on-demand', actor: 'ops' });
    expect(fit.configVersion).toBe('default-2');
    expect(fit.choice!.rule).toBe('lowest-holdout-error');
    const { candidates } = fit.choice!;
    expect(candidates.map((c) => c.model)).toEqual(['bgnbd', 'mbgnbd', 'pareto-nbd']);
    const checked = candidates.filter((c) => c.meanAbsoluteError !== null);
    expect(checked.length).toBeGreaterThan(0);
    // A candidate is either checked (figures, no error) or not identified on the calibration part (error, no figures).
    for (const c of candidates) expect(c.error === undefined).toBe(c.meanAbsoluteError !== null);
    const best = Math.min(...checked.map((c) => c.meanAbsoluteError!));
    expect(fit.model).toBe(checked.find((c) => c.meanAbsoluteError === best)!.model);
    expect(fit.holdout).toMatchObject({ meanAbsoluteError: best, actualTrips: checked[0].actualTrips });
    expect(await currentFit(store.pool)).toEqual(fit);
    // The event a rebuild copies the fit from carries the choice.
    const [event] = await store.readStream(CHURN_SCHEDULE_STREAM, { direction: 'backward', limit: 1 });
    expect((event.data.fit as { choice: unknown }).choice).toEqual(fit.choice);
  });

  it('uses the model a config names, checking it alone', async () => {
    await simulatedTrips('2026-03-01');
    const named: ChurnSettings = { ...settings, churn: churnConfig({ version: 'ops-bg', model: { name: 'bgnbd' } }) };
    const fit = await fitAndRecord(store.pool, store, named, { cutoff: '2026-03-01T12:00:00.000Z', trigger: 'on-demand', actor: 'ops' });
    expect(fit).toMatchObject({ model: 'bgnbd', configVersion: 'ops-bg' });
    expect(fit.choice!.rule).toBe('configured');
    expect(fit.choice!.candidates.map((c) => c.model)).toEqual(['bgnbd']);
    expect(fit.choice!.candidates[0].meanAbsoluteError).toBe(fit.holdout!.meanAbsoluteError);
  });
});
