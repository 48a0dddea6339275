/*
 * Issue 19: what feedback points at. NPS by month, destination, product type, channel and agent with its 95 % interval;
 * complaints per 100 trips by category × department × phase; time to acknowledge and resolve against the deadlines;
 * and the customers whose NPS fell. Every figure below is worked out by hand from the events written here.
 */
import { randomUUID } from 'node:crypto';
import { CUSTOMER_EVENT_SCHEMAS, customerStreamId, decide, evolve, initialState, parseCustomerCommand, type CustomerCommand } from '../../libs/domain/src';
import { handleCommand, PostgresEventStore, SchemaAwareEventStore, type EventStore } from '../../libs/event-store/src';
import { EncryptingEventStore } from '../../libs/privacy/src';
import { BadCursor, Projector } from '../../libs/projection-engine/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { complaintDeadlines, complaintRates } from './feedback-complaints.queries';
import { npsBreakdown, npsDrops } from './feedback-nps.queries';
import { feedbackProjection } from './feedback.projection';
import { feedbackReport } from './feedback.queries';

let database: TestDatabase;
let log: PostgresEventStore;
let encrypting: EncryptingEventStore;
let store: EventStore;
let projector: Projector;

type Actor = { id: string; role: string; source: string };
const ANNA: Actor = { id: 'agent-anna', role: 'agent', source: 'api' };
const MANAGER: Actor = { id: 'manager-max', role: 'manager', source: 'api' };
const IMPORT: Actor = { id: 'agent-anna', role: 'agent', source: 'import' };

async function run(customerId: string, type: CustomerCommand['type'], body: object, occurredAt: string, by: Actor = ANNA, ids: Record<string, string> = {}): Promise<void> {
  const parsed = parseCustomerCommand({ type, customerId, occurredAt, body, ids });
  if (!parsed.ok) throw parsed.error;
  const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: by.id, role: by.role }, source: by.source };
  await handleCommand(store, customerStreamId(customerId), { decide, evolve, initialState }, parsed.command as CustomerCommand, { metadata, newId: randomUUID });
}
const register = (c: string) =>
  run(c, 'RegisterCustomer', { name: `Customer ${c}`, timeZone: 'Europe/London', language: 'en', preferredChannel: 'email', marketingConsent: false }, '2024-10-01T09:00:00Z');
async function trip(c: string, bookingId: string, [country, city, productType, channel]: string[], by: Actor, departedAt?: string): Promise<void> {
  await run(c, 'BookTrip', { bookingId, destination: { country, city }, departureDate: '2025-01-01', returnDate: '2025-01-08', amount: { value: 90_000, currency: 'EUR' }, travellers: 2, productType, channel }, '2024-11-01T09:00:00Z', by);
  if (departedAt) await run(c, 'RecordDeparture', {}, departedAt, ANNA, { bookingId });
}
const survey = (c: string, surveyId: string, nps: number, at: string, extra: object = {}) => run(c, 'AnswerSurvey', { surveyId, nps, comment: 'free text', ...extra }, at);
const complain = (c: string, complaintId: string, category: string, at: string, extra: object = {}) =>
  run(c, 'FileComplaint', { complaintId, category, severity: 'high', channel: 'phone', description: 'free text', ...extra }, at);
const ack = (c: string, complaintId: string, at: string) => run(c, 'AcknowledgeComplaint', {}, at, ANNA, { complaintId });
const resolve = (c: string, complaintId: string, at: string) => run(c, 'ResolveComplaint', { resolution: 'done' }, at, ANNA, { complaintId });

const Q1 = { from: '2025-01-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' };
const CHANIA = ['GR', 'Chania', 'package', 'web'];

beforeAll(async () => {
  database = await createTestDatabase();
  log = new PostgresEventStore({ connectionString: database.url, max: 4 });
  await log.migrate();
  encrypting = new EncryptingEventStore(log, log.pool);
  await encrypting.keys.migrate();
  store = new SchemaAwareEventStore(encrypting, CUSTOMER_EVENT_SCHEMAS);
  projector = new Projector(log.pool, store, [feedbackProjection], { batchSize: 50 });
  await projector.migrate();

  for (const c of ['c1', 'c2', 'c3', 'c4', 'c5']) await register(c);
  // Trips departed in Q1: c1 b1 and c4 b1 in January, c1 b2 in February, c3 b1, c5 b1 and c5 b2 in March: 6.
  await trip('c1', 'b1', CHANIA, ANNA, '2025-01-10T06:00:00Z');
  await trip('c1', 'b2', ['IT', 'Rome', 'city-break', 'phone'], MANAGER, '2025-02-05T06:00:00Z');
  await trip('c2', 'b1', ['ES', 'Málaga', 'cruise', 'web'], IMPORT, '2024-12-30T06:00:00Z');
  await trip('c3', 'b1', CHANIA, ANNA, '2025-03-01T06:00:00Z');
  await trip('c4', 'b1', CHANIA, ANNA, '2025-01-20T06:00:00Z');
  await trip('c5', 'b1', CHANIA, ANNA, '2025-03-20T06:00:00Z');
  await trip('c5', 'b2', CHANIA, ANNA, '2025-03-25T06:00:00Z');
  await trip('c5', 'b3', CHANIA, ANNA); // booked, never departed: no trip

  await survey('c1', 's1', 10, '2025-01-15T10:00:00Z', { bookingId: 'b1', department: 'guides', phase: 'during' });
  await survey('c1', 's2', 5, '2025-02-15T10:00:00Z', { bookingId: 'b1', department: 'hotel', phase: 'post-trip' });
  await survey('c1', 's3', 9, '2025-03-10T10:00:00Z', { bookingId: 'b2' });
  await survey('c2', 's1', 8, '2024-12-31T12:00:00Z', { bookingId: 'b1' }); // before the range
  await survey('c2', 's2', 4, '2025-01-05T10:00:00Z', { bookingId: 'b1' });
  await survey('c2', 's3', 1, '2025-01-06T10:00:00Z');
  await survey('c3', 's1', 7, '2025-03-05T10:00:00Z', { bookingId: 'b1' });
  await survey('c3', 's2', 3, '2025-04-01T00:00:00Z', { bookingId: 'b1' }); // at `to`: outside

  await complain('c1', 'cp1', 'room', '2025-01-12T10:00:00Z', { bookingId: 'b1', department: 'hotel', phase: 'during' });
  await ack('c1', 'cp1', '2025-01-12T10:30:00Z'); // 30 min
  await resolve('c1', 'cp1', '2025-01-12T20:00:00Z'); // 600 min
  await complain('c1', 'cp2', 'room', '2025-02-06T08:00:00Z', { bookingId: 'b2', department: 'hotel', phase: 'during' });
  await ack('c1', 'cp2', '2025-02-06T09:30:00Z'); // 90 min: late
  await resolve('c1', 'cp2', '2025-02-08T08:00:00Z'); // 2880 min: late
  await complain('c2', 'cp1', 'transfer', '2025-01-20T12:00:00Z', { department: 'transfers', phase: 'pre-trip' });
  await resolve('c2', 'cp1', '2025-01-20T12:45:00Z'); // answered and resolved in 45 min, no acknowledgement
  await complain('c3', 'cp1', 'billing', '2025-03-31T23:30:00Z'); // 30 min before `to`: both deadlines still ahead
  await complain('c3', 'cp2', 'room', '2025-03-02T00:00:00Z', { department: 'hotel', phase: 'post-trip' });
  await ack('c3', 'cp2', '2025-03-02T01:00:00Z'); // exactly 1 hour: in time; never resolved: late by `to`
  await complain('c1', 'cp3', 'room', '2024-12-31T10:00:00Z', { department: 'hotel', phase: 'during' }); // before the range
  await allEventsVisible(log.pool);
  await projector.catchUp('feedback');
}, 120_000);
afterAll(async () => {
  await store.close();
  await database.drop();
});

const nps = (group: string | null, answers: number, promoters: number, passives: number, detractors: number, score: number | null, low: number | null, high: number | null) =>
  ({ group, answers, promoters, passives, detractors, nps: score, low, high });

describe('NPS by what the answer is about, with its 95 % interval', () => {
  // In Q1: c1 s1 10, s2 5, s3 9; c2 s2 4, s3 1; c3 s1 7.
  it('per UTC month, every month of the range', async () => {
    // January 10, 4, 1: mean −1/3, variance 1 − 1/9 = 0.8889, SE sqrt(0.8889 / 3) = 0.5443, margin 1.0669: [−140.0 → −100, 73.4].
    // March 9, 7: mean 0.5, variance 0.5 − 0.25 = 0.25, SE sqrt(0.25 / 2) = 0.3536, margin 0.6929: [−19.3, 119.3 → 100].
    expect((await npsBreakdown(log.pool, Q1, 'month')).groups).toEqual([
      nps('2025-01', 3, 1, 0, 2, -33.3, -100, 73.4),
      nps('2025-02', 1, 0, 0, 1, -100, -100, -100),
      nps('2025-03', 2, 1, 1, 0, 50, -19.3, 100),
    ]);
  });

  it("per sales channel of the booking: most answers first, not known last", async () => {
    // web: 10, 5, 4, 7: mean −0.25, variance 3/4 − 0.0625 = 0.6875, SE 0.4146, margin 0.8126: [−106.3 → −100, 56.3].
    expect((await npsBreakdown(log.pool, Q1, 'channel')).groups).toEqual([
      nps('web', 4, 1, 1, 2, -25, -100, 56.3),
      nps('phone', 1, 1, 0, 0, 100, 100, 100),
      nps(null, 1, 0, 0, 1, -100, -100, -100),
    ]);
  });

  it('per agent: the agent who booked it through the API; a manager, an import or no booking is no agent', async () => {
    // agent-anna: c1 b1 (10, 5) and c3 b1 (7): mean 0, variance 2/3, SE 0.4714, margin 0.9239: [−92.4, 92.4].
    // none: c1 b2 booked by a manager (9), c2 b1 imported (4), no booking (1): as January.
    expect((await npsBreakdown(log.pool, Q1, 'agent')).groups).toEqual([nps('agent-anna', 3, 1, 1, 1, 0, -92.4, 92.4), nps(null, 3, 1, 0, 2, -33.3, -100, 73.4)]);
  });

  it('per destination and per product type', async () => {
    expect((await npsBreakdown(log.pool, Q1, 'destination')).groups).toEqual([
      nps('GR/Chania', 3, 1, 1, 1, 0, -92.4, 92.4),
      nps('ES/Málaga', 1, 0, 0, 1, -100, -100, -100),
      nps('IT/Rome', 1, 1, 0, 0, 100, 100, 100),
      nps(null, 1, 0, 0, 1, -100, -100, -100),
    ]);
    expect((await npsBreakdown(log.pool, Q1, 'productType')).groups.map((g) => [g.group, g.answers, g.nps])).toEqual([
      ['package', 3, 0],
      ['city-break', 1, 100],
      ['cruise', 1, -100],
      [null, 1, -100],
    ]);
  });
});

describe('customers whose NPS fell', () => {
  it('lists each fall of 4 or more points from the previous answer (which may be before `from`), oldest first, in pages', async () => {
    const first = await npsDrops(log.pool, { ...Q1, minDrop: 4, limit: 1 });
    // c2: 8 (31 December) then 4 (5 January): exactly 4. c2's 4 then 1 is a fall of 3; c3's 7 then 3 is at `to`.
    expect(first.items).toEqual([
      { customerId: 'c2', previousSurveyId: 's1', previousAnsweredAt: '2024-12-31T12:00:00.000Z', previousNps: 8, surveyId: 's2', answeredAt: '2025-01-05T10:00:00.000Z', nps: 4, drop: 4, department: null, phase: null, country: 'ES', city: 'Málaga', productType: 'cruise' },
    ]);
    const second = await npsDrops(log.pool, { ...Q1, minDrop: 4, limit: 1, cursor: first.nextCursor! });
    expect(second.items.map((d) => [d.customerId, d.previousNps, d.nps, d.drop, d.department, d.phase])).toEqual([['c1', 10, 5, 5, 'hotel', 'post-trip']]);
    expect(second.nextCursor).toBeNull();
    expect((await npsDrops(log.pool, { ...Q1, minDrop: 5, limit: 10 })).items.map((d) => d.customerId)).toEqual(['c1']);
    expect((await npsDrops(log.pool, { from: Q1.from, to: '2025-05-01T00:00:00Z', minDrop: 4, limit: 10 })).items.map((d) => d.customerId)).toEqual(['c2', 'c1', 'c3']);
  });

  it('refuses a cursor it did not give', async () => {
    const forged = Buffer.from(JSON.stringify(['2025-01-05T10:00:00.000Z', 'c2'])).toString('base64url');
    await expect(npsDrops(log.pool, { ...Q1, minDrop: 4, limit: 1, cursor: forged })).rejects.toBeInstanceOf(BadCursor);
  });
});

describe('complaints per 100 trips', () => {
  it('by category × department × phase over the range: 5 complaints filed, 6 trips departed', async () => {
    const rates = await complaintRates(log.pool, Q1, 'total');
    expect([rates.trips, rates.complaints, rates.per100Trips]).toEqual([6, 5, 83.33]);
    expect(rates.cells).toEqual([
      { month: null, category: 'room', department: 'hotel', phase: 'during', complaints: 2, trips: 6, per100Trips: 33.33 },
      { month: null, category: 'billing', department: null, phase: null, complaints: 1, trips: 6, per100Trips: 16.67 },
      { month: null, category: 'room', department: 'hotel', phase: 'post-trip', complaints: 1, trips: 6, per100Trips: 16.67 },
      { month: null, category: 'transfer', department: 'transfers', phase: 'pre-trip', complaints: 1, trips: 6, per100Trips: 16.67 },
    ]);
  });

  it('per UTC month, against the trips departed in that month', async () => {
    const rates = await complaintRates(log.pool, Q1, 'month');
    expect(rates.months).toEqual([
      { month: '2025-01', trips: 2, complaints: 2, per100Trips: 100 },
      { month: '2025-02', trips: 1, complaints: 1, per100Trips: 100 },
      { month: '2025-03', trips: 3, complaints: 2, per100Trips: 66.67 },
    ]);
    expect(rates.cells.map((c) => [c.month, c.category, c.department, c.phase, c.complaints, c.trips, c.per100Trips])).toEqual([
      ['2025-01', 'room', 'hotel', 'during', 1, 2, 50],
      ['2025-01', 'transfer', 'transfers', 'pre-trip', 1, 2, 50],
      ['2025-02', 'room', 'hotel', 'during', 1, 1, 100],
      ['2025-03', 'billing', null, null, 1, 3, 33.33],
      ['2025-03', 'room', 'hotel', 'post-trip', 1, 3, 33.33],
    ]);
    const december = await complaintRates(log.pool, { from: '2024-12-30T00:00:00Z', to: '2025-01-01T00:00:00Z' }, 'total');
    expect(december).toMatchObject({ trips: 1, complaints: 1, per100Trips: 100 }); // c2 b1 departed 30 December; c1 cp3 filed the 31st
    expect((await complaintRates(log.pool, { from: '2025-04-01T00:00:00Z', to: '2025-05-01T00:00:00Z' }, 'total')).per100Trips).toBeNull();
  });
});

describe('time to acknowledge and to resolve, against 1 hour and 24 hours', () => {
  const figures = (complaints: number, acknowledged: number, ackMedian: number | null, ackBreaches: number, ackPending: number, resolved: number, resMedian: number | null, resBreaches: number, resPending: number) => ({
    complaints, acknowledged, acknowledgeMedianMinutes: ackMedian, acknowledgeBreaches: ackBreaches, acknowledgePending: ackPending,
    resolved, resolveMedianMinutes: resMedian, resolveBreaches: resBreaches, resolvePending: resPending,
  });

  it('overall and per department, as of `to`', async () => {
    const report = await complaintDeadlines(log.pool, Q1, 'department');
    expect(report.deadlines).toEqual({ acknowledgeMinutes: 60, resolveMinutes: 1440 });
    // First answers 30, 90 (late), 45 (the resolution), 60 (in time), none yet for the billing one (30 min old at `to`).
    // Resolutions 600, 2880 (late), 45; c3's room complaint is unresolved 30 days later (late); the billing one pending.
    expect(report.overall).toEqual(figures(5, 4, 52.5, 1, 1, 3, 600, 2, 1));
    expect(report.groups).toEqual([
      { group: 'hotel', ...figures(3, 3, 60, 1, 0, 2, 1740, 2, 0) },
      { group: 'transfers', ...figures(1, 1, 45, 0, 0, 1, 45, 0, 0) },
      { group: null, ...figures(1, 0, null, 0, 1, 0, null, 0, 1) },
    ]);
  });

  it('per phase in trip order, and an answer after `to` not yet given', async () => {
    expect((await complaintDeadlines(log.pool, Q1, 'phase')).groups.map((g) => [g.group, g.complaints, g.acknowledgeBreaches, g.resolveBreaches])).toEqual([
      ['pre-trip', 1, 0, 0],
      ['during', 2, 1, 1],
      ['post-trip', 1, 0, 1],
      [null, 1, 0, 0],
    ]);
    // Up to 09:00 on 6 February cp2 (filed 08:00, acknowledged 09:30) has had no answer for exactly its hour: pending.
    const early = await complaintDeadlines(log.pool, { from: '2025-02-01T00:00:00Z', to: '2025-02-06T09:00:00Z' }, 'category');
    expect(early.overall).toEqual(figures(1, 0, null, 0, 1, 0, null, 0, 1));
  });
});

describe('the rows behind the figures', () => {
  it('keep channel, agent, departure, department and phase, and no free text', async () => {
    const rows = async (sql: string) => (await log.pool.query(sql)).rows;
    expect(await rows(`SELECT customer_id, booking_id, channel, agent_id, departed_at IS NOT NULL AS departed FROM read_models.feedback_bookings WHERE customer_id IN ('c1', 'c2') ORDER BY 1, 2`)).toEqual([
      { customer_id: 'c1', booking_id: 'b1', channel: 'web', agent_id: 'agent-anna', departed: true },
      { customer_id: 'c1', booking_id: 'b2', channel: 'phone', agent_id: null, departed: true },
      { customer_id: 'c2', booking_id: 'b1', channel: 'web', agent_id: null, departed: true },
    ]);
    const all = JSON.stringify(await Promise.all(feedbackProjection.tables.map((table) => rows(`SELECT * FROM ${table}`))));
    expect(all).not.toContain('free text');
  });

  it('leave the existing report as it was', async () => {
    const report = await feedbackReport(log.pool, Q1);
    expect(report.nps.overall).toEqual({ answers: 6, promoters: 2, passives: 1, detractors: 3, nps: -16.7 });
    expect(report.complaints.byCategory).toEqual([
      { category: 'room', count: 3, open: 1 },
      { category: 'billing', count: 1, open: 1 },
      { category: 'transfer', count: 1, open: 0 },
    ]);
  });
});
