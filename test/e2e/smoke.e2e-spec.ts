import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

it('answers /health', async () => {
  await t.http().get('/health').expect(200, { status: 'ok', database: 'ok' });
});
