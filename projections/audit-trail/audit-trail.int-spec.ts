import { randomUUID } from 'node:crypto';
import { customerStreamId, decide, evolve, initialState, riskAlertDecider, riskAlertStreamId, type CustomerCommand } from '../../libs/domain/src';
import { PostgresEventStore, handleCommand, type EventMetadata } from '../../libs/event-store/src';
import { BadCursor, Projector } from '../../libs/projection-engine/src';
import { writeScenario } from '../../test/support/scenario';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { auditTrailProjection } from './audit-trail.projection';
import { actorAuditTrail, correlationAuditTrail, customerAuditTrail, type AuditTrailEntry, type AuditTrailPage } from './audit-trail.queries';

let database: TestDatabase;
let store: PostgresEventStore;

const customerDecider = { decide, evolve, initialState };
const projector = (): Projector => new Projector(store.pool, store, [auditTrailProjection], { batchSize: 100, pollIntervalMs: 20 });
const meta = (actor: string, role: string, correlationId: string): Omit<EventMetadata, 'eventId' | 'schemaVersion'> => ({
  correlationId,
  causationId: correlationId,
  actor: { id: actor, role },
  source: 'api',
});
const run = (command: CustomerCommand, metadata: ReturnType<typeof meta>) =>
  handleCommand(store, customerStreamId(command.customerId), customerDecider, command, { metadata, newId: randomUUID });
const register = (customerId: string, name: string): CustomerCommand => ({
  type: 'RegisterCustomer',
  customerId,
  data: { name, email: `${customerId}@example.com`, timeZone: 'Europe/Berlin', language: 'de', preferredChannel: 'email', marketingConsent: true },
  occurredAt: '2025-01-02T10:00:00Z',
});
const book = (customerId: string, bookingId: string): CustomerCommand => ({
  type: 'BookTrip',
  customerId,
  data: { bookingId, destination: { country: 'GR', city: 'Chania' }, departureDate: '2025-07-03', returnDate: '2025-07-10', amount: { value: 150_000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' },
  occurredAt: '2025-02-01T10:00:00Z',
});

/** Every row, in key order: what "identical read model" means. */
const snapshot = async (): Promise<unknown[]> => (await store.pool.query('SELECT * FROM read_models.audit_trail ORDER BY global_position')).rows;

/** Follows nextCursor to the end, `limit` rows a page. */
async function allPages(read: (after: string | undefined) => Promise<AuditTrailPage>): Promise<{ items: AuditTrailEntry[]; pages: number }> {
  const items: AuditTrailEntry[] = [];
  let after: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await read(after);
    items.push(...page.items);
    if (!page.nextCursor) return { items, pages };
    after = page.nextCursor;
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 8 });
  await store.migrate();
  await projector().migrate();

  // Built live while the events are written, as in production; the rebuild test compares against these rows.
  const live = new AbortController();
  const following = projector().run(live.signal);
  const agent = meta('agent-1', 'agent', 'corr-a');
  await run(register('ann', 'Ann Example'), agent);
  await run(register('bob', 'Bob Example'), meta('agent-1', 'agent', 'corr-b'));
  await run(register('cy', 'Cy Example'), meta('agent-2', 'supervisor', 'corr-c'));
  // One request (a group booking) spanning two customers: one correlation id, two streams.
  await run(book('ann', 'g-1'), meta('agent-2', 'supervisor', 'corr-group'));
  await run(book('bob', 'g-1'), meta('agent-2', 'supervisor', 'corr-group'));
  await run({ type: 'FileComplaint', customerId: 'ann', data: { complaintId: 'cp-1', bookingId: 'g-1', category: 'room', severity: 'high', channel: 'phone', description: 'Ann says: noisy' }, occurredAt: '2025-07-05T08:00:00Z' }, agent);
  await handleCommand(
    store,
    riskAlertStreamId('ra-1'),
    riskAlertDecider,
    { type: 'IssueRiskAlert', data: { alertId: 'ra-1', country: 'GR', from: '2025-07-01', to: '2025-07-10', severity: 'high', message: 'Ferry strike' }, occurredAt: '2025-06-20T12:00:00Z' },
    { metadata: meta('agent-2', 'supervisor', 'corr-alert'), newId: randomUUID },
  );
  // Erasure's event (issue 7), not in the domain yet: written as the erasure command will write it.
  await store.append(customerStreamId('cy'), [
    { eventId: randomUUID(), type: 'CustomerForgotten', data: {}, metadata: { ...meta('dpo', 'admin', 'corr-forget'), schemaVersion: 1 }, occurredAt: '2025-08-01T00:00:00Z' },
  ]);
  // Metadata as free-form as jsonb lets a writer store it: a number where a string belongs, fields missing, and the
  // characters COPY text escapes (tab, newline, backslash) in a string.
  await store.append(customerStreamId('cy'), [
    { eventId: randomUUID(), type: 'MarketingConsentChanged', data: { granted: false }, metadata: { actor: { id: 'agent\t"4"\\x\ny', role: 'agent' }, correlationId: 7, schemaVersion: 1 } as unknown as EventMetadata, occurredAt: '2025-08-02T00:00:00Z' },
  ]);
  const { lastPosition } = await writeScenario(store, 600, { seed: 11, prefix: 'sc' });
  expect(await projector().waitFor(lastPosition, 60_000)).toBe(true);
  live.abort();
  await following;
  await allEventsVisible(store.pool);
  await projector().catchUp('audit_trail');
}, 120_000);

afterAll(async () => {
  await store.close();
  await database.drop();
});

it('records every event of every stream once, with its metadata and nothing of its data', async () => {
  const { rows: mismatches } = await store.pool.query(`
    SELECT e.global_position FROM event_store.events e FULL JOIN read_models.audit_trail a USING (global_position)
     WHERE a.global_position IS NULL OR e.global_position IS NULL
        OR (a.event_id, a.stream_id, a.stream_position, a.type, a.schema_version, a.actor_id, a.actor_role, a.source, a.correlation_id, a.causation_id, a.occurred_at)
           IS DISTINCT FROM (e.event_id, e.stream_id, e.stream_position, e.type, e.schema_version, e.metadata->'actor'->>'id', e.metadata->'actor'->>'role',
                             e.metadata->>'source', e.metadata->>'correlationId', e.metadata->>'causationId', e.occurred_at)
        OR a.recorded_at <> date_trunc('milliseconds', e.recorded_at)`);
  expect(mismatches).toEqual([]);
  const { rows } = await store.pool.query(`SELECT stream_id, customer_id, type FROM read_models.audit_trail WHERE stream_id IN ('risk-alert-ra-1', 'customer-cy') ORDER BY global_position`);
  expect(rows).toEqual([
    { stream_id: 'customer-cy', customer_id: 'cy', type: 'CustomerRegistered' },
    { stream_id: 'risk-alert-ra-1', customer_id: null, type: 'DestinationRiskAlertIssued' },
    { stream_id: 'customer-cy', customer_id: 'cy', type: 'CustomerForgotten' },
    { stream_id: 'customer-cy', customer_id: 'cy', type: 'MarketingConsentChanged' },
  ]);
  const odd = await store.pool.query(`SELECT actor_id, actor_role, source, correlation_id, causation_id FROM read_models.audit_trail WHERE stream_id = 'customer-cy' AND type = 'MarketingConsentChanged'`);
  expect(odd.rows).toEqual([{ actor_id: 'agent\t"4"\\x\ny', actor_role: 'agent', source: null, correlation_id: '7', causation_id: null }]);
  // No column carries event data, and no personal value shows up anywhere in the rows.
  const text = JSON.stringify(await snapshot());
  for (const personal of ['Ann Example', 'ann@example.com', 'noisy', 'Ferry strike', 'Customer sc-']) expect(text).not.toContain(personal);
});

it('a rebuild gives rows identical to the live-built ones', async () => {
  const live = await snapshot();
  expect(live.length).toBeGreaterThan(600);
  expect(await projector().rebuild('audit_trail')).toBe(live.length);
  expect(await snapshot()).toEqual(live);
});

it("pages a customer's trail in log order", async () => {
  const { items, pages } = await allPages((after) => customerAuditTrail(store.pool, 'ann', { after, limit: 1 }));
  expect(pages).toBe(3);
  expect(items.map((e) => [e.type, e.streamPosition, e.actorId, e.correlationId])).toEqual([
    ['CustomerRegistered', 1, 'agent-1', 'corr-a'],
    ['TripBooked', 2, 'agent-2', 'corr-group'],
    ['ComplaintFiled', 3, 'agent-1', 'corr-a'],
  ]);
  expect(items[0]).toMatchObject({ customerId: 'ann', streamId: 'customer-ann', schemaVersion: 1, actorRole: 'agent', source: 'api', occurredAt: '2025-01-02T10:00:00.000Z' });
  expect(items[0].recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  expect(await customerAuditTrail(store.pool, 'nobody', { limit: 10 })).toEqual({ items: [], nextCursor: null });
});

it('follows one correlation id across customers and streams, and a big one across pages', async () => {
  const group = await correlationAuditTrail(store.pool, 'corr-group', { limit: 10 });
  expect(group.items.map((e) => [e.customerId, e.type])).toEqual([
    ['ann', 'TripBooked'],
    ['bob', 'TripBooked'],
  ]);
  expect(group.nextCursor).toBeNull();

  const { rows } = await store.pool.query(`SELECT global_position FROM event_store.events WHERE metadata->'actor'->>'id' = 'scenario' ORDER BY global_position`);
  const scenario = (await store.pool.query(`SELECT DISTINCT correlation_id FROM read_models.audit_trail WHERE actor_id = 'scenario'`)).rows;
  expect(scenario).toHaveLength(1);
  const { items, pages } = await allPages((after) => correlationAuditTrail(store.pool, scenario[0].correlation_id, { after, limit: 100 }));
  expect(items.map((e) => e.globalPosition)).toEqual(rows.map((row) => Number(row.global_position)));
  expect(new Set(items.map((e) => e.customerId)).size).toBeGreaterThan(20);
  expect(pages).toBe(Math.ceil(rows.length / 100));
});

it("pages an actor's trail by recorded_at, within [from, to)", async () => {
  const { items: all } = await allPages((after) => actorAuditTrail(store.pool, 'agent-2', { after, limit: 2 }));
  expect(all.map((e) => e.type)).toEqual(['CustomerRegistered', 'TripBooked', 'TripBooked', 'DestinationRiskAlertIssued']);
  const key = (e: AuditTrailEntry): string => `${e.recordedAt}/${String(e.globalPosition).padStart(15, '0')}`;
  expect(all.map(key)).toEqual(all.map(key).sort());

  const { items: scenario, pages } = await allPages((after) => actorAuditTrail(store.pool, 'scenario', { after, limit: 50 }));
  expect(scenario.length).toBeGreaterThan(600);
  expect(pages).toBeGreaterThan(12);
  expect(new Set(scenario.map((e) => e.globalPosition)).size).toBe(scenario.length);
  expect(scenario.map(key)).toEqual(scenario.map(key).sort());

  // From inclusive, to exclusive, on recorded_at: bounds taken from stored rows, so both edges are exercised.
  const from = scenario[100].recordedAt;
  const to = scenario[400].recordedAt;
  const window = await allPages((after) => actorAuditTrail(store.pool, 'scenario', { from, to, after, limit: 37 }));
  expect(window.items).toEqual(scenario.filter((e) => e.recordedAt >= from && e.recordedAt < to));
  expect(window.items[0].recordedAt).toBe(from);
  expect(window.items.some((e) => e.recordedAt === to)).toBe(false);
});

it('refuses a cursor that is not the nextCursor of the same kind of trail', async () => {
  const customerPage = await customerAuditTrail(store.pool, 'ann', { limit: 1 });
  const actorPage = await actorAuditTrail(store.pool, 'agent-2', { limit: 1 });
  await expect(actorAuditTrail(store.pool, 'agent-2', { after: customerPage.nextCursor!, limit: 1 })).rejects.toThrow(BadCursor);
  await expect(customerAuditTrail(store.pool, 'ann', { after: actorPage.nextCursor!, limit: 1 })).rejects.toThrow(BadCursor);
  const tampered = Buffer.from(JSON.stringify([1.5, 'x'])).toString('base64url');
  await expect(correlationAuditTrail(store.pool, 'corr-group', { after: tampered, limit: 1 })).rejects.toThrow(BadCursor);
  const notAPosition = Buffer.from(JSON.stringify(['2025-01-01T00:00:00.000Z', '1; DROP'])).toString('base64url');
  await expect(actorAuditTrail(store.pool, 'agent-2', { after: notAPosition, limit: 1 })).rejects.toThrow(BadCursor);
  await expect(customerAuditTrail(store.pool, 'ann', { limit: 0 })).rejects.toThrow(RangeError);
});
