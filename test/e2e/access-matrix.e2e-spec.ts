import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { cdnowCommands, readLines } from '../../apps/api/src/imports/import-sources';
import { createApiKey, revokeApiKey, type Role } from '../../libs/auth/src';
import { IMPORT_CATCH_UP_MS, startTestApp, type TestApp } from '../support/test-app';
import { command, complaint, interaction, registration, trip } from './customer-api.fixtures';

/**
 * Issue 7, acceptance 1: every endpoint, called with no credentials, with a revoked key, and as each role, answers
 * 401, 403 or success. The matrix is written out here by hand (not read from the code it checks). Writes use one
 * customer per role (mx-<role>), reads a customer every role may read (mx-base).
 */
const ROLES: Role[] = ['agent', 'manager', 'analyst', 'auditor', 'admin'];
const W: Role[] = ['agent', 'manager', 'admin'];
const MANAGE: Role[] = ['manager', 'admin'];
const ADMIN: Role[] = ['admin'];
const ONE: Role[] = ROLES;
const LOG: Role[] = ['agent', 'manager', 'auditor', 'admin'];
const ALL_CUSTOMERS: Role[] = ['manager', 'analyst', 'auditor', 'admin'];
const AUDIT: Role[] = ['auditor', 'admin'];

interface Call {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  body?: object | string;
  type?: string;
}
interface Endpoint {
  name: string;
  roles: Role[];
  call: (role: Role) => Call | Promise<Call>;
}

const mine = (role: Role): string => `mx-${role}`;
const CDNOW = resolve(__dirname, '../fixtures/cdnow/CDNOW_sample.txt');

let t: TestApp;
let revokedKey: string;
let segment: string;
let scored: string;

async function openTouchpoint(customerId: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await t.http().get(`/customers/${customerId}/touchpoints`).expect(200);
    const open = (res.body.touchpoints ?? res.body.items ?? res.body).find?.((row: { status: string }) => row.status === 'open');
    if (open) return open.touchpointId as string;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`no open touchpoint for ${customerId}`);
}

/** A campaign definition (issue 18) whose audience matches nobody, so a launch writes one event. */
const campaign = (campaignId: string): object => ({
  campaignId,
  name: 'Matrix campaign',
  audience: { trips: { productTypes: ['mx-no-such-product'] } },
  channel: 'email',
  sendWindow: { from: '2027-01-01T00:00:00Z', until: '2027-01-08T00:00:00Z' },
  holdoutShare: 0.1,
  goal: { kind: 'booking' },
  conversionWindowDays: 30,
});
/** The campaigns each role's lifecycle call acts on, in the state that call needs (made in beforeAll). */
const CAMPAIGN_SETUP: [prefix: string, steps: string[]][] = [
  ['mx-patch', []],
  ['mx-launch', []],
  ['mx-pause', ['launch']],
  ['mx-resume', ['launch', 'pause']],
  ['mx-end', ['launch']],
  ['mx-export', ['launch']],
];

const ENDPOINTS: Endpoint[] = [
  { name: 'POST /customers', roles: W, call: (r) => ({ method: 'post', path: '/customers', body: registration(mine(r)) }) },
  { name: 'PATCH /customers/:id', roles: W, call: (r) => ({ method: 'patch', path: `/customers/${mine(r)}`, body: { language: 'de' } }) },
  { name: 'POST /customers/:id/bookings', roles: W, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/bookings`, body: trip('b1') }) },
  { name: 'POST .../bookings/:bookingId/amend', roles: W, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/bookings/b1/amend`, body: { amount: { value: 260_000, currency: 'EUR' } } }) },
  {
    name: 'POST .../bookings/:bookingId/cancel',
    roles: W,
    call: async (r) => {
      if (W.includes(r)) await command(t, 'post', `/customers/${mine(r)}/bookings`, trip('b2'), 201);
      return { method: 'post', path: `/customers/${mine(r)}/bookings/b2/cancel`, body: { reason: 'changed plans' } };
    },
  },
  { name: 'POST .../bookings/:bookingId/departure', roles: W, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/bookings/b1/departure`, body: {} }) },
  { name: 'POST .../bookings/:bookingId/return', roles: W, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/bookings/b1/return`, body: {} }) },
  { name: 'POST /customers/:id/complaints', roles: W, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/complaints`, body: complaint('C-1', { occurredAt: undefined }) }) },
  { name: 'POST .../complaints/:id/acknowledge', roles: W, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/complaints/C-1/acknowledge`, body: {} }) },
  { name: 'POST .../complaints/:id/resolve', roles: W, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/complaints/C-1/resolve`, body: { resolution: 'refund' } }) },
  { name: 'POST /customers/:id/surveys', roles: W, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/surveys`, body: { surveyId: 's1', nps: 9 } }) },
  { name: 'POST /customers/:id/interactions', roles: W, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/interactions`, body: interaction('i1', { occurredAt: undefined }) }) },
  { name: 'POST /customers/:id/vip', roles: MANAGE, call: (r) => ({ method: 'post', path: `/customers/${mine(r)}/vip`, body: { reason: 'key account' } }) },
  { name: 'DELETE /customers/:id/vip', roles: MANAGE, call: (r) => ({ method: 'delete', path: `/customers/${mine(r)}/vip`, body: { reason: 'account closed' } }) },
  { name: 'GET /customers', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/customers' }) },
  { name: 'GET /customers/:id', roles: ONE, call: () => ({ method: 'get', path: '/customers/mx-base' }) },
  { name: 'GET /customers/:id/events', roles: LOG, call: () => ({ method: 'get', path: '/customers/mx-base/events' }) },
  { name: 'GET /customers/:id/state', roles: LOG, call: () => ({ method: 'get', path: '/customers/mx-base/state' }) },
  { name: 'POST /segments/evaluate', roles: ADMIN, call: () => ({ method: 'post', path: '/segments/evaluate' }) },
  { name: 'GET /segments', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/segments' }) },
  { name: 'GET /segments/changes', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/segments/changes' }) },
  { name: 'GET /segments/sizes', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/segments/sizes?family=rfm' }) },
  { name: 'GET /segments/:segment/members', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: `/segments/${segment}/members` }) },
  { name: 'GET /customers/:id/segments', roles: ONE, call: () => ({ method: 'get', path: '/customers/mx-base/segments' }) },
  { name: 'GET /customers/:id/offers', roles: ONE, call: () => ({ method: 'get', path: '/customers/mx-base/offers?limit=3' }) },
  { name: 'POST /analytics/churn-model/fit', roles: ADMIN, call: () => ({ method: 'post', path: '/analytics/churn-model/fit?asOf=1998-07-01T00:00:00Z' }) },
  { name: 'GET /analytics/churn-model', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/analytics/churn-model' }) },
  { name: 'GET /churn-risk', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/churn-risk' }) },
  { name: 'GET /churn-risk/summary', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/churn-risk/summary' }) },
  { name: 'GET /analytics/feedback', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/analytics/feedback' }) },
  { name: 'GET /analytics/feedback/nps', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/analytics/feedback/nps?by=agent' }) },
  { name: 'GET /analytics/feedback/nps-drops', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/analytics/feedback/nps-drops' }) },
  { name: 'GET /analytics/feedback/complaint-rates', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/analytics/feedback/complaint-rates?by=month' }) },
  { name: 'GET /analytics/feedback/complaint-deadlines', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/analytics/feedback/complaint-deadlines' }) },
  { name: 'GET /customers/:id/churn-risk', roles: ONE, call: () => ({ method: 'get', path: `/customers/${scored}/churn-risk?asOf=1998-07-01T00:00:00Z` }) },
  { name: 'GET /touchpoints', roles: ONE, call: () => ({ method: 'get', path: '/touchpoints' }) },
  { name: 'GET /touchpoints/calendar', roles: ONE, call: () => ({ method: 'get', path: '/touchpoints/calendar' }) },
  { name: 'GET /customers/:id/touchpoints', roles: ONE, call: () => ({ method: 'get', path: '/customers/mx-base/touchpoints' }) },
  {
    name: 'POST /touchpoints/:id/complete',
    roles: W,
    call: async (r) => ({ method: 'post', path: `/touchpoints/${W.includes(r) ? await openTouchpoint(mine(r)) : 'tp-unknown'}/complete`, body: { outcome: 'done' } }),
  },
  {
    name: 'POST /risk-alerts',
    roles: MANAGE,
    call: (r) => ({ method: 'post', path: '/risk-alerts', body: { alertId: `ra-${r}`, country: 'GR', city: 'Chania', from: '2027-07-10', to: '2027-07-20', severity: 'high', message: 'Wildfires' } }),
  },
  { name: 'POST /campaigns', roles: MANAGE, call: (r) => ({ method: 'post', path: '/campaigns', body: campaign(`mx-define-${r}`) }) },
  { name: 'PATCH /campaigns/:id', roles: MANAGE, call: (r) => ({ method: 'patch', path: `/campaigns/mx-patch-${r}`, body: { name: 'Renamed' } }) },
  ...(['launch', 'pause', 'resume', 'end'] as const).map(
    (action): Endpoint => ({ name: `POST /campaigns/:id/${action}`, roles: MANAGE, call: (r) => ({ method: 'post', path: `/campaigns/mx-${action}-${r}/${action}` }) }),
  ),
  { name: 'GET /campaigns', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/campaigns' }) },
  { name: 'GET /campaigns/:id', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/campaigns/mx-patch-admin' }) },
  { name: 'GET /campaigns/:id/results', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/campaigns/mx-export-admin/results' }) },
  { name: 'GET /campaigns/:id/export', roles: MANAGE, call: (r) => ({ method: 'get', path: `/campaigns/mx-export-${r}/export` }) },
  { name: 'GET /analytics/touchpoint-holdouts', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/analytics/touchpoint-holdouts?kind=welcome-home-call' }) },
  {
    name: 'POST /imports',
    roles: W,
    call: (r) => ({ method: 'post', path: '/imports', type: 'application/x-ndjson', body: JSON.stringify({ type: 'RegisterCustomer', ...registration(`mx-import-${r}`) }) }),
  },
  { name: 'GET /exports/events', roles: ALL_CUSTOMERS, call: () => ({ method: 'get', path: '/exports/events' }) },
  { name: 'GET /projections', roles: ROLES, call: () => ({ method: 'get', path: '/projections' }) },
  { name: 'GET /audit/customers/:id', roles: AUDIT, call: () => ({ method: 'get', path: '/audit/customers/mx-base' }) },
  { name: 'GET /audit/correlations/:id', roles: AUDIT, call: () => ({ method: 'get', path: '/audit/correlations/corr-mx' }) },
  { name: 'GET /audit/actors/:id', roles: AUDIT, call: () => ({ method: 'get', path: '/audit/actors/test-agent' }) },
  { name: 'GET /audit/access', roles: AUDIT, call: () => ({ method: 'get', path: '/audit/access' }) },
  { name: 'GET /audit/verify', roles: AUDIT, call: () => ({ method: 'get', path: '/audit/verify' }) },
  { name: 'POST /customers/:id/forget', roles: ADMIN, call: () => ({ method: 'post', path: '/customers/mx-forget/forget', body: { reason: 'asked to be forgotten' } }) },
];

beforeAll(async () => {
  t = await startTestApp();
  revokedKey = (await createApiKey(t.runtime.readModels, 'revoked-agent', 'agent')).key;
  await revokeApiKey(t.runtime.readModels, 'revoked-agent');
  const lines: string[] = [];
  for await (const line of cdnowCommands(readLines(createReadStream(CDNOW), 1 << 20))) lines.push(line.text);
  await t.http().post('/imports').set('Content-Type', 'application/x-ndjson').send(lines.join('\n')).expect(200);
  for (const id of ['mx-base', 'mx-forget']) {
    await command(t, 'post', '/customers', registration(id), 201, { 'X-Correlation-Id': 'corr-mx' });
    await command(t, 'post', `/customers/${id}/bookings`, trip('b1'), 201);
  }
  for (const [prefix, steps] of CAMPAIGN_SETUP) {
    for (const role of ROLES) {
      await command(t, 'post', '/campaigns', campaign(`${prefix}-${role}`), 201);
      for (const step of steps) await command(t, 'post', `/campaigns/${prefix}-${role}/${step}`, undefined, 200);
    }
  }
  // The fit has no ?minPosition=: wait until every read model has the import, or a slow CI fits on part of it (422).
  const { rows } = await t.runtime.readModels.query<{ last: string }>('SELECT max(global_position) AS last FROM event_store.events');
  expect(await t.runtime.projector.waitFor(Number(rows[0].last), IMPORT_CATCH_UP_MS)).toBe(true);
  await t.http().post('/segments/evaluate').expect(200);
  await t.http().post('/analytics/churn-model/fit').query({ asOf: '1998-07-01T00:00:00Z' }).expect(201);
  scored = (await t.http().get('/churn-risk').expect(200)).body.items[0].customerId;
  segment = (await t.http().get('/segments').expect(200)).body.segments.find((s: { members: number }) => s.members > 0).segment;
}, IMPORT_CATCH_UP_MS + 120_000);
afterAll(() => t.close());

const send = async (credentials: string | null, { method, path, body, type }: Call) => {
  let req = credentials === null ? t.http(null)[method](path) : t.http(null)[method](path).set('Authorization', `Bearer ${credentials}`);
  if (type) req = req.set('Content-Type', type);
  return body === undefined ? req : req.send(body);
};

describe.each(ENDPOINTS)('$name', ({ roles, call }) => {
  it('answers 401 without credentials and with a revoked key, writing nothing', async () => {
    const before = await t.eventCount();
    for (const credentials of [null, revokedKey, 'tlk_not-a-key', 'garbage']) {
      const res = await send(credentials, await call('analyst'));
      expect({ credentials, status: res.status, rule: res.body.rule }).toEqual({ credentials, status: 401, rule: 'auth.credentials' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect(await t.eventCount()).toBe(before);
  });

  it.each(ROLES)('as %s: success when the role may, else 403 writing nothing', async (role) => {
    const before = await t.eventCount();
    const res = await send(t.keys[role], await call(role));
    if (roles.includes(role)) {
      expect({ role, status: res.status, body: res.status < 300 ? 'ok' : res.body }).toEqual({ role, status: expect.any(Number), body: 'ok' });
      expect(res.status).toBeLessThan(300);
    } else {
      expect({ role, status: res.status, rule: res.body.rule }).toEqual({ role, status: 403, rule: 'auth.role' });
      expect(await t.eventCount()).toBe(before);
    }
  });
});

describe('open endpoints', () => {
  it.each(['/health', '/docs'])('%s answers without credentials', async (path) => {
    const res = await t.http(null).get(path).redirects(1);
    expect(res.status).toBe(200);
  });
});
