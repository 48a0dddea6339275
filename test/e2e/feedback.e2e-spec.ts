import { startTestApp, type TestApp } from '../support/test-app';
import { command, complaint, expectNoStackTrace, registration, trip } from './customer-api.fixtures';

/*
 * GET /analytics/feedback over HTTP: the figures of the feedback read model for the console's Feedback page, for the
 * roles that read across all customers, with its range checked at the edge.
 */
let t: TestApp;
const RANGE = { from: '2025-01-01T00:00:00Z', to: '2025-07-01T00:00:00Z' };

beforeAll(async () => {
  t = await startTestApp();
  await command(t, 'post', '/customers', registration('fb-1'), 201);
  await command(t, 'post', '/customers/fb-1/bookings', trip('b1'), 201);
  await command(t, 'post', '/customers/fb-1/surveys', { surveyId: 's1', bookingId: 'b1', nps: 10, comment: 'Wonderful guide.', occurredAt: '2025-06-20T10:00:00Z' }, 201);
  await command(t, 'post', '/customers/fb-1/surveys', { surveyId: 's2', nps: 3, occurredAt: '2025-06-21T10:00:00Z' }, 201);
  await command(t, 'post', '/customers/fb-1/complaints', complaint('C-1', { bookingId: 'b1' }), 201);
  await command(t, 'post', '/customers/fb-1/complaints', complaint('C-2', { category: 'transfer', severity: 'low', occurredAt: '2025-05-02T08:00:00Z' }), 201);
  const last = await command(t, 'post', '/customers/fb-1/complaints/C-2/resolve', { resolution: 'Taxi refunded', occurredAt: '2025-05-03T08:00:00Z' }, 200);
  expect(await t.runtime.projector.waitFor(last.position!, 15_000, ['feedback'])).toBe(true);
}, 60_000);
afterAll(() => t.close());

describe('GET /analytics/feedback', () => {
  it.each(['manager', 'analyst'] as const)('answers %s with NPS by month, destination and product type, and complaints by category and severity', async (role) => {
    const res = await t.http(role).get('/analytics/feedback').query(RANGE).expect(200);
    const june = { answers: 2, promoters: 1, passives: 0, detractors: 1, nps: 0 };
    const none = { answers: 0, promoters: 0, passives: 0, detractors: 0, nps: null };
    expect(res.body).toEqual({
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-07-01T00:00:00.000Z',
      nps: {
        overall: june,
        byMonth: ['2025-01', '2025-02', '2025-03', '2025-04', '2025-05', '2025-06'].map((month) => ({ month, ...(month === '2025-06' ? june : none) })),
        byDestination: [
          { destination: { country: 'GR', city: 'Heraklion' }, answers: 1, promoters: 1, passives: 0, detractors: 0, nps: 100 },
          { destination: null, answers: 1, promoters: 0, passives: 0, detractors: 1, nps: -100 },
        ],
        byProductType: [
          { productType: 'package', answers: 1, promoters: 1, passives: 0, detractors: 0, nps: 100 },
          { productType: null, answers: 1, promoters: 0, passives: 0, detractors: 1, nps: -100 },
        ],
      },
      complaints: {
        byMonth: [
          { month: '2025-05', category: 'transfer', severity: 'low', count: 1 },
          { month: '2025-06', category: 'accommodation', severity: 'high', count: 1 },
        ],
        byCategory: [
          { category: 'accommodation', count: 1, open: 1 },
          { category: 'transfer', count: 1, open: 0 },
        ],
        bySeverity: [
          { severity: 'low', count: 1, open: 0 },
          { severity: 'medium', count: 0, open: 0 },
          { severity: 'high', count: 1, open: 1 },
          { severity: 'critical', count: 0, open: 0 },
        ],
      },
    });
    expect(res.text).not.toMatch(/Wonderful|Room was not|Taxi refunded/);
  });

  it('defaults to the 24 calendar months (UTC) up to now, the current one included', async () => {
    const before = Date.now();
    const res = await t.http('manager').get('/analytics/feedback').expect(200);
    const to = Date.parse(res.body.to as string);
    expect(to).toBeGreaterThanOrEqual(before);
    expect(to).toBeLessThanOrEqual(Date.now());
    const last = new Date(to - 1);
    expect(res.body.from).toBe(new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - 23, 1)).toISOString());
    expect(res.body.nps.byMonth).toHaveLength(24);
  });

  it('refuses the agent role with 403', async () => {
    const res = await t.http('agent').get('/analytics/feedback').query(RANGE).expect(403);
    expect(res.body).toMatchObject({ statusCode: 403, rule: 'auth.role' });
  });

  it.each([
    ['from that is no instant', { from: 'last-year' }, 'from'],
    ['from that is a date without a time', { from: '2025-01-01' }, 'from'],
    ['from before 1900', { from: '1899-12-31T23:59:59Z' }, 'from'],
    ['to that is no instant', { to: '2025-13-01T00:00:00Z' }, 'to'],
    ['to not after from', { from: '2025-03-01T00:00:00Z', to: '2025-03-01T00:00:00Z' }, 'to'],
    ['from in the future, with to defaulting to now', { from: '2199-01-01T00:00:00Z' }, 'from'],
    ['an unknown parameter', { month: '2025-01' }, 'month'],
  ])('answers 400 naming the field for %s', async (_case, query, field) => {
    const res = await t.http('manager').get('/analytics/feedback').query(query).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, field });
    expectNoStackTrace(res);
  });
});

describe('the OpenAPI document', () => {
  it('describes the answer of GET /analytics/feedback with its schema, and its two parameters', async () => {
    const doc = (await t.http(null).get('/docs-json').expect(200)).body;
    const operation = doc.paths['/analytics/feedback'].get;
    expect(operation.parameters.map((p: { name: string; in: string; required: boolean }) => [p.name, p.in, p.required])).toEqual([['from', 'query', false], ['to', 'query', false]]);
    expect(operation.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/FeedbackResponse' });
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.FeedbackResponse.properties)).toEqual(['from', 'to', 'nps', 'complaints']);
    expect(Object.keys(schemas.FeedbackNpsDto.properties)).toEqual(['overall', 'byMonth', 'byDestination', 'byProductType']);
    expect(Object.keys(schemas.FeedbackComplaintsDto.properties)).toEqual(['byMonth', 'byCategory', 'bySeverity']);
    expect(schemas.FeedbackNpsDestinationDto.properties.destination).toMatchObject({ nullable: true, allOf: [{ $ref: '#/components/schemas/FeedbackDestinationDto' }] });
    expect(schemas.FeedbackNpsFiguresDto.properties.nps).toMatchObject({ type: 'number', nullable: true });
  });
});
