import { startTestApp, type TestApp } from '../support/test-app';
import { command, complaint, expectNoStackTrace, registration, trip } from './customer-api.fixtures';

/*
 * Issue 19 over HTTP: complaints and survey answers name a department and a trip phase (checked at the edge, nothing
 * written when refused), and GET /analytics/feedback/* answers the breakdowns as JSON and as CSV, for the roles that
 * read across all customers. The figures themselves are checked by hand in projections/feedback/feedback-causes.int-spec.ts.
 */
let t: TestApp;
const Q2 = { from: '2025-04-01T00:00:00Z', to: '2025-07-01T00:00:00Z' };

beforeAll(async () => {
  t = await startTestApp();
  await command(t, 'post', '/customers', registration('fc-1'), 201);
  // Booked by the agent's key through the API: the agent of the booking is the key's name, test-agent.
  await t.http('agent').post('/customers/fc-1/bookings').send(trip('b1')).expect(201);
  await command(t, 'post', '/customers/fc-1/bookings', trip('b2', { channel: 'phone' }), 201);
  await command(t, 'post', '/customers/fc-1/bookings/b1/departure', { occurredAt: '2025-06-01T06:00:00Z' }, 200);
  await command(t, 'post', '/customers/fc-1/surveys', { surveyId: 's1', bookingId: 'b1', nps: 9, occurredAt: '2025-06-02T10:00:00Z' }, 201);
  await command(t, 'post', '/customers/fc-1/surveys', { surveyId: 's2', bookingId: 'b1', nps: 2, department: 'guides', phase: 'during', comment: 'Guide never came', occurredAt: '2025-06-03T10:00:00Z' }, 201);
  await command(t, 'post', '/customers/fc-1/surveys', { surveyId: 's3', bookingId: 'b2', nps: 10, occurredAt: '2025-06-04T10:00:00Z' }, 201);
  await command(t, 'post', '/customers/fc-1/complaints', complaint('C-1', { bookingId: 'b1', department: 'hotel, "sea" side', phase: 'during', occurredAt: '2025-06-03T12:00:00Z' }), 201);
  const last = await command(t, 'post', '/customers/fc-1/complaints/C-1/acknowledge', { occurredAt: '2025-06-03T12:20:00Z' }, 200);
  expect(await t.runtime.projector.waitFor(last.position!, 15_000, ['feedback'])).toBe(true);
}, 60_000);
afterAll(() => t.close());

const csvLines = (text: string): string[] => text.trim().split('\n');

describe('the cause given with a complaint or survey answer', () => {
  it.each([
    ['complaints', complaint('C-9', { phase: 'afterwards' }), 'phase', 'phase must be one of the following values: pre-trip, during, post-trip'],
    ['complaints', complaint('C-9', { department: '' }), 'department', 'department should not be empty'],
    ['complaints', complaint('C-9', { department: 'x'.repeat(101) }), 'department', 'department must be shorter than or equal to 100 characters'],
    ['surveys', { surveyId: 's9', nps: 5, department: ['hotel'] }, 'department', 'department must be a string'],
    ['surveys', { surveyId: 's9', nps: 5, department: ' ' }, 'department', 'must be a non-empty string'],
  ])('refuses a bad one on POST /customers/:id/%s with 400 naming the field and rule, and writes nothing', async (what, body, field, rule) => {
    const before = (await t.http().get('/customers/fc-1/events').expect(200)).body.events.length;
    const res = await t.http('manager').post(`/customers/fc-1/${what}`).send(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, field, rule });
    expectNoStackTrace(res);
    expect((await t.http().get('/customers/fc-1/events').expect(200)).body.events).toHaveLength(before);
  });

  it('is stored with the event, at schema version 2', async () => {
    const events = (await t.http().get('/customers/fc-1/events').expect(200)).body.events as { type: string; schemaVersion: number; data: Record<string, unknown> }[];
    const s2 = events.find((e) => e.type === 'SurveyAnswered' && e.data.surveyId === 's2')!;
    expect([s2.schemaVersion, s2.data.department, s2.data.phase]).toEqual([2, 'guides', 'during']);
  });
});

describe('GET /analytics/feedback/*', () => {
  it.each(['manager', 'analyst'] as const)('answers %s with NPS by agent, with the 95 %% interval', async (role) => {
    const res = await t.http(role).get('/analytics/feedback/nps').query({ ...Q2, by: 'agent' }).expect(200);
    // test-agent's booking b1: 9 and 2, mean 0, variance 1, margin 1.959964 × sqrt(1 / 2) = 1.3859: [−100, 100].
    expect(res.body).toEqual({
      from: '2025-04-01T00:00:00.000Z', to: '2025-07-01T00:00:00.000Z', by: 'agent',
      groups: [
        { group: 'test-agent', answers: 2, promoters: 1, passives: 0, detractors: 1, nps: 0, low: -100, high: 100 },
        { group: null, answers: 1, promoters: 1, passives: 0, detractors: 0, nps: 100, low: 100, high: 100 },
      ],
    });
  });

  it('gives each breakdown as CSV, quoting what needs it', async () => {
    const nps = await t.http('analyst').get('/analytics/feedback/nps').query({ ...Q2, by: 'channel' }).set('Accept', 'text/csv').expect(200);
    expect(nps.headers['content-type']).toMatch(/^text\/csv/);
    expect(nps.headers['content-disposition']).toContain('nps-by-channel.csv');
    expect(csvLines(nps.text)).toEqual(['group,answers,promoters,passives,detractors,nps,low,high', 'web,2,1,0,1,0,-100,100', 'phone,1,1,0,0,100,100,100']);
    const rates = await t.http('analyst').get('/analytics/feedback/complaint-rates').query(Q2).set('Accept', 'text/csv').expect(200);
    expect(csvLines(rates.text)).toEqual(['month,category,department,phase,complaints,trips,per100Trips', ',accommodation,"hotel, ""sea"" side",during,1,1,100']);
    const deadlines = await t.http('analyst').get('/analytics/feedback/complaint-deadlines').query({ ...Q2, by: 'phase' }).set('Accept', 'text/csv').expect(200);
    // Acknowledged after 20 minutes; unresolved at `to`, long past its 24 hours.
    expect(csvLines(deadlines.text)).toEqual([
      'group,complaints,acknowledged,acknowledgeMedianMinutes,acknowledgeBreaches,acknowledgePending,resolved,resolveMedianMinutes,resolveBreaches,resolvePending',
      'during,1,1,20,0,0,0,,1,0',
      'overall,1,1,20,0,0,0,,1,0',
    ]);
    const drops = await t.http('analyst').get('/analytics/feedback/nps-drops').query(Q2).set('Accept', 'text/csv').expect(200);
    expect(csvLines(drops.text)).toEqual([
      'customerId,previousSurveyId,previousAnsweredAt,previousNps,surveyId,answeredAt,nps,drop,department,phase,country,city,productType',
      'fc-1,s1,2025-06-02T10:00:00.000Z,9,s2,2025-06-03T10:00:00.000Z,2,7,guides,during,GR,Heraklion,package',
    ]);
    expect([nps.text, rates.text, deadlines.text, drops.text].join()).not.toMatch(/Guide never came|Room was not/);
  });

  it('pages the falls as JSON', async () => {
    const res = await t.http('manager').get('/analytics/feedback/nps-drops').query({ ...Q2, minDrop: 7, limit: 1 }).expect(200);
    expect(res.body.items.map((d: { surveyId: string; drop: number }) => [d.surveyId, d.drop])).toEqual([['s2', 7]]);
    expect(res.body.nextCursor).toBeNull();
    expect((await t.http('manager').get('/analytics/feedback/nps-drops').query({ ...Q2, minDrop: 8 }).expect(200)).body.items).toEqual([]);
  });

  it.each([
    ['/analytics/feedback/nps', { by: 'week' }, 'by'],
    ['/analytics/feedback/nps-drops', { minDrop: 0 }, 'minDrop'],
    ['/analytics/feedback/nps-drops', { minDrop: 11 }, 'minDrop'],
    ['/analytics/feedback/nps-drops', { cursor: 'yesterday' }, 'cursor'],
    ['/analytics/feedback/complaint-rates', { by: 'year' }, 'by'],
    ['/analytics/feedback/complaint-deadlines', { by: 'agent' }, 'by'],
    ['/analytics/feedback/complaint-deadlines', { from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, 'to'],
  ])('%s answers 400 naming the field for %j', async (path, query, field) => {
    const res = await t.http('analyst').get(path).query(query).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, field });
    expectNoStackTrace(res);
  });

  it('refuses the agent role with 403', async () => {
    for (const path of ['nps', 'nps-drops', 'complaint-rates', 'complaint-deadlines']) {
      expect((await t.http('agent').get(`/analytics/feedback/${path}`).expect(403)).body).toMatchObject({ rule: 'auth.role' });
    }
  });
});
