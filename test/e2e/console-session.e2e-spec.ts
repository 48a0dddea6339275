/*
 * Issue 17: the console signs in with an API key once and then works with an HttpOnly, SameSite=Strict session
 * cookie; every write with it needs its CSRF token; signing out or revoking the key ends it at once.
 */
import request from 'supertest';
import { createApiKey, revokeApiKey } from '../../libs/auth/src';
import { startTestApp, type TestApp } from '../support/test-app';
import { expectNoStackTrace, registration } from './customer-api.fixtures';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
}, 60_000);
afterAll(() => t.close());

const server = () => request(t.app.getHttpServer());

/** Signs in with `credential`; the session cookie (name=value) and the CSRF token. */
async function signIn(credential: string): Promise<{ cookie: string; csrfToken: string; setCookie: string }> {
  const res = await server().post('/auth/session').send({ credential }).expect(201);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0];
  return { cookie: setCookie.split(';')[0], csrfToken: res.body.csrfToken as string, setCookie };
}

describe('console sessions', () => {
  it('exchanges a key for an HttpOnly, SameSite=Strict cookie and a CSRF token, keeping neither in clear', async () => {
    const res = await server().post('/auth/session').send({ credential: t.keys.agent }).expect(201);
    expect(res.body).toEqual({ id: 'test-agent', role: 'agent', csrfToken: expect.stringMatching(/^[\w-]{43}$/), expiresAt: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toContain(t.keys.agent);
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0];
    expect(setCookie).toMatch(/^tle_session=[\w-]{43}; Max-Age=3600; Path=\/; Expires=.+; HttpOnly; SameSite=Strict$/);
    // About an hour (CONSOLE_SESSION_MINUTES, 60 by default).
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    const token = setCookie.split(';')[0].split('=')[1];
    const stored = await t.runtime.readModels.query(`SELECT encode(token_hash, 'hex') AS token, encode(csrf_hash, 'hex') AS csrf FROM auth.console_sessions`);
    expect(JSON.stringify(stored.rows)).not.toContain(token);
    expect(JSON.stringify(stored.rows)).not.toContain(res.body.csrfToken);

    const me = await server().get('/auth/session').set('Cookie', setCookie.split(';')[0]).expect(200);
    expect(me.body).toEqual({ id: 'test-agent', role: 'agent', expiresAt: res.body.expiresAt });
  });

  it('refuses a wrong credential with 401 naming the field, and a malformed body with 400; no cookie either way', async () => {
    const wrong = await server().post('/auth/session').send({ credential: 'tlk_not-a-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ field: 'credential', rule: 'auth.credentials', message: 'API key unknown or revoked' });
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expectNoStackTrace(wrong);
    const missing = await server().post('/auth/session').send({});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ field: 'credential' });
    const extra = await server().post('/auth/session').send({ credential: t.keys.agent, remember: true });
    expect(extra.status).toBe(400);
    expect(extra.headers['set-cookie']).toBeUndefined();
  });

  it('a write with the cookie needs the CSRF token: without it 403 auth.csrf and nothing written', async () => {
    const { cookie, csrfToken } = await signIn(t.keys.agent);
    const events = await t.eventCount();
    const forged = await server().post('/customers').set('Cookie', cookie).send(registration('csrf-1'));
    expect(forged.status).toBe(403);
    expect(forged.body).toMatchObject({ rule: 'auth.csrf', field: 'x-csrf-token' });
    const wrongToken = await server().post('/customers').set('Cookie', cookie).set('X-CSRF-Token', 'A'.repeat(43)).send(registration('csrf-1'));
    expect(wrongToken.status).toBe(403);
    expect(await t.eventCount()).toBe(events);

    const written = await server().post('/customers').set('Cookie', cookie).set('X-CSRF-Token', csrfToken).send(registration('csrf-1'));
    expect(written.status).toBe(201);
    expect(await t.eventCount()).toBe(events + 1);
    // Acting as the key: the event's actor is the key's name.
    const history = await server().get('/customers/csrf-1/events').set('Cookie', cookie).expect(200);
    expect(JSON.stringify(history.body)).toContain('test-agent');
  });

  it('the role checks are the same as with the key: an analyst session may not write nor read the raw log', async () => {
    const { cookie, csrfToken } = await signIn(t.keys.analyst);
    const write = await server().post('/customers').set('Cookie', cookie).set('X-CSRF-Token', csrfToken).send(registration('analyst-1'));
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({ rule: 'auth.role' });
    expect((await server().get('/customers/csrf-1/events').set('Cookie', cookie)).status).toBe(403);
  });

  it('ends at sign-out, at the key revocation, and at expiry, each at once', async () => {
    const out = await signIn(t.keys.manager);
    await server().delete('/auth/session').set('Cookie', out.cookie).set('X-CSRF-Token', out.csrfToken).expect(204);
    const after = await server().get('/auth/session').set('Cookie', out.cookie);
    expect(after.status).toBe(401);
    expect(after.body.message).toContain('the console session has ended');

    const { key } = await createApiKey(t.runtime.readModels, 'revoked-soon', 'agent');
    const revoked = await signIn(key);
    await server().get('/auth/session').set('Cookie', revoked.cookie).expect(200);
    await revokeApiKey(t.runtime.readModels, 'revoked-soon');
    expect((await server().get('/auth/session').set('Cookie', revoked.cookie)).status).toBe(401);

    const expiring = await signIn(t.keys.auditor);
    await t.runtime.readModels.query(`UPDATE auth.console_sessions SET expires_at = now() - interval '1 second' WHERE principal->>'id' = 'test-auditor'`);
    expect((await server().get('/auth/session').set('Cookie', expiring.cookie)).status).toBe(401);
  });

  it('ignores a cookie when a bearer credential is sent, and a cookie that is not a session token', async () => {
    const bearer = await t.http('auditor').get('/auth/session').set('Cookie', 'tle_session=whatever').expect(200);
    expect(bearer.body).toEqual({ id: 'test-auditor', role: 'auditor', expiresAt: null });
    expect((await server().get('/auth/session').set('Cookie', 'tle_session=../../etc')).status).toBe(401);
  });
});
