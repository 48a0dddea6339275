import { startTestApp, type TestApp } from '../support/test-app';
import { command, registration } from './customer-api.fixtures';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await command(t, 'post', '/customers', registration('vip-1'), 201);
});
afterAll(() => t.close());


describe('VIP status over HTTP', () => {
  it('POST grants it with a reason and the actor; the overview shows it; DELETE takes it back', async () => {
    const grant = await t.http('manager').post('/customers/vip-1/vip').send({ reason: 'Key account', occurredAt: '2025-03-01T10:00:00Z' }).expect(201);
    let overview = await t.http().get('/customers/vip-1').query({ minPosition: grant.body.position }).expect(200);
    expect(overview.body).toMatchObject({ vip: true, vipSince: '2025-03-01T10:00:00.000Z' });

    const events = (await t.http().get('/customers/vip-1/events').expect(200)).body.events;
    expect(events[events.length - 1]).toMatchObject({
      type: 'VipStatusGranted',
      data: { reason: 'Key account' },
      metadata: { actor: { id: 'test-manager', role: 'manager' } },
    });

    const revoke = await t.http('manager').delete('/customers/vip-1/vip').send({ reason: 'Account closed' }).expect(200);
    overview = await t.http().get('/customers/vip-1').query({ minPosition: revoke.body.position }).expect(200);
    expect(overview.body).toMatchObject({ vip: false, vipSince: null });
  });

  it.each([
    ['a missing reason', () => t.http().post('/customers/vip-1/vip').send({}), 400, { field: 'reason' }],
    ['an empty reason', () => t.http().post('/customers/vip-1/vip').send({ reason: '' }), 400, { field: 'reason' }],
    ['an unknown field', () => t.http().post('/customers/vip-1/vip').send({ reason: 'x', level: 'gold' }), 400, { field: 'level' }],
    ['an unknown customer', () => t.http().post('/customers/nobody/vip').send({ reason: 'x' }), 404, {}],
    ['revoking a customer who is not a VIP', () => t.http().delete('/customers/vip-1/vip').send({ reason: 'x' }), 409, { rule: 'vip.not-granted' }],
  ])('refuses %s, writing nothing', async (_name, send, status, body) => {
    const before = await t.eventCount();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(body);
    expect(await t.eventCount()).toBe(before);
  });

  it('refuses a second grant with 409, naming the rule', async () => {
    await t.http().post('/customers/vip-1/vip').send({ reason: 'Back again' }).expect(201);
    const before = await t.eventCount();
    const again = await t.http().post('/customers/vip-1/vip').send({ reason: 'Twice' }).expect(409);
    expect(again.body.rule).toBe('vip.already-granted');
    expect(await t.eventCount()).toBe(before);
  });
});
