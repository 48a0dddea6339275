import { startTestApp, type TestApp } from '../support/test-app';
import { expectNoStackTrace } from './customer-api.fixtures';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const alert = { alertId: 'ra-17', country: 'GR', city: 'Chania', from: '2026-07-10', to: '2026-07-20', severity: 'high', message: 'Wildfires near Chania: coastal roads closed.', occurredAt: '2026-07-08T06:00:00Z' };

describe('POST /risk-alerts', () => {
  it('appends DestinationRiskAlertIssued to the alert stream with the actor, and the projections pass over it', async () => {
    const res = await t.http('manager').post('/risk-alerts').send(alert).expect(201);
    expect(res.body).toEqual({ alertId: 'ra-17', position: expect.any(Number) });
    const [event] = await t.runtime.store.readStream('risk-alert-ra-17');
    expect(event).toMatchObject({
      type: 'DestinationRiskAlertIssued',
      occurredAt: '2026-07-08T06:00:00.000Z',
      data: { alertId: 'ra-17', country: 'GR', city: 'Chania', from: '2026-07-10', to: '2026-07-20', severity: 'high', message: alert.message },
      metadata: { actor: { id: 'test-manager', role: 'manager' } },
    });
    expect(await t.runtime.projector.waitFor(res.body.position, 10_000)).toBe(true);
    const { body } = await t.http().get('/projections').expect(200);
    expect(body.projections.every((p: { lastError: string | null }) => p.lastError === null)).toBe(true);
  });

  it('gives an alert without an id a new one', async () => {
    const { alertId: _id, ...withoutId } = alert;
    const res = await t.http().post('/risk-alerts').send({ ...withoutId, country: 'PT', city: undefined }).expect(201);
    expect(res.body.alertId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['`to` before `from`', { alertId: 'ra-x1', to: '2026-07-09' }, 400, { field: 'to', rule: 'must not be before from (2026-07-10)' }],
    ['an unknown severity', { alertId: 'ra-x2', severity: 'apocalyptic' }, 400, { field: 'severity' }],
    ['a country name instead of a code', { alertId: 'ra-x3', country: 'Greece' }, 400, { field: 'country' }],
    ['no message', { alertId: 'ra-x4', message: '' }, 400, { field: 'message' }],
    ['a date that is no date', { alertId: 'ra-x5', from: '2026-02-30' }, 400, { field: 'from' }],
    ['a city over 100 characters', { alertId: 'ra-x6', city: 'c'.repeat(101) }, 400, { field: 'city', rule: 'city must be shorter than or equal to 100 characters' }],
    ['a message over 2,000 characters', { alertId: 'ra-x7', message: 'm'.repeat(2001) }, 400, { field: 'message', rule: 'message must be shorter than or equal to 2000 characters' }],
    ['an unknown key', { alertId: 'ra-x8', region: 'Crete' }, 400, { field: 'region', rule: 'property region should not exist' }],
    ['a __proto__ key', JSON.parse('{"alertId": "ra-x9", "__proto__": {"admin": true}}'), 400, { field: '__proto__', rule: 'property __proto__ should not exist' }],
    ['an alert id used before, for another alert', { alertId: 'ra-17', severity: 'low' }, 409, { rule: 'risk-alert.id-unique' }],
  ])('refuses %s, writing nothing', async (_name, override, status, body) => {
    const before = await t.eventCount();
    const res = await t.http().post('/risk-alerts').send({ ...alert, ...override });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(body);
    expectNoStackTrace(res);
    expect(await t.eventCount()).toBe(before);
  });
});
