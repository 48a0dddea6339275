import { startTestApp, type TestApp } from '../support/test-app';
import { command, registration, trip } from './customer-api.fixtures';
let t: TestApp;
beforeAll(async () => { t = await startTestApp(); 
  await command(t, 'post', '/customers', registration('p1'), 201);
  await command(t, 'post', `/customers/p1/bookings`, trip('bk-1', { occurredAt: '2025-02-01T10:00:00Z' }), 201);
});
afterAll(() => t.close());
it('probe', async () => {
  for (const asOf of ['2025-02-01', '2025-02-01T10:30:00', '2025-02-01T10:30', '2025-02-01T10:30:00.5+01:00', '2025-W05-6']) {
    const r = await t.http().get('/customers/p1/state').query({ asOf });
    console.log(asOf, r.status, r.body.version, r.body.asOf, r.body.message);
  }
  console.log((await t.runtime.readModels.query('show timezone')).rows);
});
