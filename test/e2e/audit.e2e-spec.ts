import { startTestApp, type TestApp } from '../support/test-app';
import { command, registration, trip } from './customer-api.fixtures';

/**
 * Issue 7, the audit trail over HTTP: who wrote what (actor from the key, times, source, correlation, causation),
 * everything one request caused across customers, what one actor did in a period; and the hash chains verified
 * through GET /audit/verify, clean and after a stored event is altered with plain SQL.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const trail = async (path: string, query: Record<string, string> = {}) => {
  for (let attempt = 0; ; attempt++) {
    const res = await t.http('auditor').get(path).query(query).expect(200);
    if (res.body.items.length || attempt > 50) return res.body;
    await new Promise((done) => setTimeout(done, 100));
  }
};

describe('the audit trail', () => {
  it('shows every event of a customer with actor, times, source, correlation and causation', async () => {
    await command(t, 'post', '/customers', registration('au-1'), 201, { Authorization: `Bearer ${t.keys.agent}`, 'X-Correlation-Id': 'req-au-1' });
    const booked = await command(t, 'post', '/customers/au-1/bookings', trip('b1'), 201, { Authorization: `Bearer ${t.keys.manager}` });
    await t.runtime.projector.waitFor(booked.position!, 5000);
    const { items, nextCursor } = await trail('/audit/customers/au-1');
    expect(nextCursor).toBeNull();
    expect(items).toEqual([
      expect.objectContaining({ streamId: 'customer-au-1', customerId: 'au-1', streamPosition: 1, type: 'CustomerRegistered', actorId: 'test-agent', actorRole: 'agent', source: 'api', correlationId: 'req-au-1', occurredAt: '2025-01-10T09:00:00.000Z' }),
      expect.objectContaining({ streamPosition: 2, type: 'TripBooked', actorId: 'test-manager', actorRole: 'manager', source: 'api', occurredAt: '2025-01-20T10:00:00.000Z' }),
    ]);
    for (const item of items) {
      expect(item.causationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.parse(item.recordedAt)).toBeGreaterThan(Date.parse('2026-01-01'));
      expect(JSON.stringify(item)).not.toContain('Maria');
    }
  });

  it('follows one request across customers, and one actor in a period', async () => {
    const since = new Date().toISOString();
    const lines = ['au-2', 'au-3'].map((id) => JSON.stringify({ type: 'RegisterCustomer', ...registration(id) })).join('\n');
    const res = await t.http('agent').post('/imports').set('Content-Type', 'application/x-ndjson').set('X-Correlation-Id', 'import-7').send(lines).expect(200);
    expect(res.body.imported).toBe(2);
    const caused = await trail('/audit/correlations/import-7');
    expect(caused.items.map((item: { customerId: string; source: string; actorId: string }) => [item.customerId, item.source, item.actorId])).toEqual([
      ['au-2', 'import', 'test-agent'],
      ['au-3', 'import', 'test-agent'],
    ]);
    const done = await trail('/audit/actors/test-agent', { from: since });
    expect(done.items.map((item: { customerId: string }) => item.customerId)).toEqual(['au-2', 'au-3']);
    const page = await t.http('auditor').get('/audit/actors/test-agent').query({ limit: '1' }).expect(200);
    expect(page.body.items).toHaveLength(1);
    const next = await t.http('auditor').get('/audit/actors/test-agent').query({ limit: '1', cursor: page.body.nextCursor }).expect(200);
    expect(next.body.items[0].globalPosition).toBeGreaterThan(page.body.items[0].globalPosition);
    expect((await t.http('auditor').get('/audit/actors/test-agent').query({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }).expect(400)).body.field).toBe('to');
    expect((await t.http('auditor').get('/audit/customers/au-1').query({ cursor: 'forged' }).expect(400)).body.field).toBe('cursor');
  });
});

describe('GET /audit/verify', () => {
  it('reports an untouched log intact, also after a customer is forgotten, then names exactly the event altered with plain SQL', async () => {
    // Forgetting destroys a key and appends an event; it rewrites nothing, so the chains (over the ciphertext) still hold.
    await t.http('admin').post('/customers/au-3/forget').send({ reason: 'erasure request 7' }).expect(200);
    const clean = await t.http('auditor').get('/audit/verify').expect(200);
    expect(clean.body).toMatchObject({ ok: true });
    const stored = await t.runtime.readModels.query<{ data: string }>(`SELECT data::text AS data FROM event_store.events WHERE stream_id = 'customer-au-3' AND stream_position = 1`);
    expect(stored.rows[0].data).not.toContain('Maria');
    const { rows } = await t.runtime.readModels.query<{ global_position: string; stream_id: string; stream_position: string; event_id: string }>(
      `SELECT global_position, stream_id, stream_position, event_id FROM event_store.events WHERE stream_id = 'customer-au-1' AND stream_position = 2`,
    );
    await t.runtime.readModels.query(`UPDATE event_store.events SET data = jsonb_set(data, '{travellers}', '9') WHERE event_id = $1`, [rows[0].event_id]);
    const broken = await t.http('auditor').get('/audit/verify').expect(200);
    expect(broken.body).toMatchObject({ ok: false, streamId: 'customer-au-1', streamPosition: 2, globalPosition: Number(rows[0].global_position), eventId: rows[0].event_id });
  });
});
