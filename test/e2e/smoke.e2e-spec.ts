import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

it('answers /health', async () => {
  expect((await t.http().get('/health').expect(200)).body).toEqual({ status: 'ok', database: 'ok', seal: { state: 'ok', unsealed: expect.any(Number), lagSeconds: expect.any(Number) } });
});
