/*
 * Issue 17: finding a customer by e-mail, phone or name through a keyed blind index: what is searched for is not
 * stored in clear, and a forgotten customer can no longer be found.
 */
import { startTestApp, type TestApp } from '../support/test-app';
import { command, expectNoStackTrace, registration } from './customer-api.fixtures';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await command(t, 'post', '/customers', registration('find-1', { name: 'Maria Papadopoulou', email: 'Maria.P@example.com', phone: '+30 210 1234567' }), 201);
  await command(t, 'post', '/customers', registration('find-2', { name: 'Maria Ionescu', email: 'ionescu@example.ro', phone: '+40 21 555 0199' }), 201);
  const last = await command(t, 'post', '/customers', registration('find-3', { name: 'Jon Jonsson', email: 'jon@example.is', phone: '+354 555 0101' }), 201);
  expect(await t.runtime.projector.waitFor(last.position!, 10_000)).toBe(true);
}, 60_000);
afterAll(() => t.close());

const search = async (q: string, as: 'agent' | 'analyst' = 'agent') => (await t.http(as).get('/search/customers').query({ q }).expect(200)).body.customers as string[];

describe('GET /search/customers', () => {
  it('finds by e-mail (any case), by phone (any formatting), and by the words of a name (all of them)', async () => {
    expect(await search('  maria.p@EXAMPLE.com ')).toEqual(['find-1']);
    expect(await search('+30 (210) 123-4567')).toEqual(['find-1']);
    expect(await search('maria')).toEqual(['find-1', 'find-2']);
    expect(await search('Ionescu MARIA')).toEqual(['find-2']);
    expect(await search('maria jonsson')).toEqual([]);
    expect(await search('jon@example.is', 'analyst')).toEqual(['find-3']);
  });

  it('stores no searched value in clear: 16-byte HMACs only', async () => {
    const { rows } = await t.runtime.readModels.query<{ term: Buffer; customer_id: string }>(`SELECT term, customer_id FROM read_models.customer_search WHERE customer_id = 'find-1'`);
    expect(rows.length).toBe(4); // e-mail, phone, two name words
    expect(rows.every((row) => row.term.length === 16)).toBe(true);
    const dump = JSON.stringify((await t.runtime.readModels.query(`SELECT encode(term, 'escape') AS text, encode(term, 'hex') AS hex FROM read_models.customer_search`)).rows);
    for (const clear of ['maria', 'example', '1234567', 'papadopoulou']) expect(dump.toLowerCase()).not.toContain(clear);
  });

  it('refuses an empty or meaningless query with 400 naming q', async () => {
    for (const q of ['', '!!!', 'x'.repeat(201)]) {
      const res = await t.http('agent').get('/search/customers').query({ q });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ field: 'q' });
      expectNoStackTrace(res);
    }
    expect((await t.http('agent').get('/search/customers')).status).toBe(400);
  });

  it('no longer finds a forgotten customer, by e-mail, phone or name', async () => {
    const forgotten = await t.http('admin').post('/customers/find-3/forget').send({ reason: 'erasure request 17' }).expect(200);
    expect(await t.runtime.projector.waitFor(forgotten.body.position, 10_000)).toBe(true);
    expect(await search('jon@example.is')).toEqual([]);
    expect(await search('+354 555 0101')).toEqual([]);
    expect(await search('jon jonsson')).toEqual([]);
    expect((await t.runtime.readModels.query(`SELECT 1 FROM read_models.customer_search WHERE customer_id = 'find-3'`)).rowCount).toBe(0);
  });
});
