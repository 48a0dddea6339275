import { connect, type AddressInfo } from 'node:net';
import type { Role } from '../../libs/auth/src';
import { startTestApp, type TestApp } from '../support/test-app';
import { until } from '../support/until';
import { command, complaint, expectNoStackTrace, interaction, registration, trip } from './customer-api.fixtures';

/**
 * Safe retries (issue 15): a command sent again with the same Idempotency-Key gets the first answer and writes nothing;
 * a command whose natural id exists with the same content is answered as the first time.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

interface Sent {
  status: number;
  body: Record<string, unknown>;
}

const send = async (method: 'post' | 'patch' | 'delete', path: string, body: object | undefined, key?: string, as: Role = 'admin'): Promise<Sent> => {
  let req = t.http(as)[method](path);
  if (key !== undefined) req = req.set('Idempotency-Key', key);
  const res = body === undefined ? await req : await req.send(body);
  return { status: res.status, body: res.body as Record<string, unknown> };
};

const streamOf = async (customerId: string) => t.runtime.store.readStream(`customer-${customerId}`);

describe('Idempotency-Key', () => {
  it('a booking whose answer was lost: the retry with the same key gets the first answer, and the log holds the booking once', async () => {
    await command(t, 'post', '/customers', registration('ik-lost'), 201);
    const booking = trip('b-lost', { occurredAt: undefined });
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as AddressInfo;
    // A client that sends the request and never reads: once the booking is in the log its connection is reset, and
    // the answer (status, version, position) is lost with it.
    const payload = JSON.stringify(booking);
    const head = [
      'POST /customers/ik-lost/bookings HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${t.keys.admin}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(payload)}`,
      'Idempotency-Key: lost-1',
    ];
    const lost = connect(port, '127.0.0.1');
    lost.on('error', () => undefined);
    lost.write(`${head.join('\r\n')}\r\n\r\n${payload}`);
    await until('the lost booking is in the log', async () => (await streamOf('ik-lost')).some((e) => e.type === 'TripBooked'), 10_000);
    lost.resetAndDestroy();

    const retry = await send('post', '/customers/ik-lost/bookings', booking, 'lost-1');
    const booked = (await streamOf('ik-lost')).filter((e) => e.type === 'TripBooked');
    expect(booked).toHaveLength(1);
    expect(retry).toEqual({ status: 201, body: { customerId: 'ik-lost', version: booked[0].streamPosition, position: booked[0].globalPosition } });
    // The same again, and once more without the key: the natural id (bookingId) with the same content, same answer.
    expect(await send('post', '/customers/ik-lost/bookings', booking, 'lost-1')).toEqual(retry);
    expect(await send('post', '/customers/ik-lost/bookings', booking)).toEqual(retry);
    expect((await streamOf('ik-lost')).filter((e) => e.type === 'TripBooked')).toHaveLength(1);
  });

  it('the same key with another body answers 422 idempotency-key.reused and writes nothing, on this stream or another', async () => {
    await command(t, 'post', '/customers', registration('ik-reuse'), 201);
    await command(t, 'post', '/customers', registration('ik-reuse-2'), 201);
    const first = await send('post', '/customers/ik-reuse/interactions', interaction('i-1'), 'reuse-1');
    expect(first.status).toBe(201);
    const before = await t.eventCount();
    for (const [path, body] of [
      ['/customers/ik-reuse/interactions', interaction('i-2')],
      ['/customers/ik-reuse/bookings', trip('b-1')],
      ['/customers/ik-reuse-2/interactions', interaction('i-1')],
    ] as const) {
      const res = await t.http().post(path).set('Idempotency-Key', 'reuse-1').send(body);
      expect({ path, status: res.status, body: res.body }).toMatchObject({ path, status: 422, body: { field: 'Idempotency-Key', rule: 'idempotency-key.reused' } });
      expectNoStackTrace(res);
    }
    expect(await t.eventCount()).toBe(before);
  });

  it('an interaction without an id sent twice: two events without a key, one with a key (answered alike)', async () => {
    await command(t, 'post', '/customers', registration('ik-int'), 201);
    const { interactionId: _none, ...body } = interaction('unused');
    await send('post', '/customers/ik-int/interactions', body);
    await send('post', '/customers/ik-int/interactions', body);
    const keyed = await send('post', '/customers/ik-int/interactions', body, 'int-1');
    expect(await send('post', '/customers/ik-int/interactions', body, 'int-1')).toEqual(keyed);
    expect((await streamOf('ik-int')).filter((e) => e.type === 'InteractionLogged')).toHaveLength(3);
  });

  it('concurrent identical requests with one key: one write, every one answered alike', async () => {
    const { customerId: _none, ...body } = registration('unused');
    const answers = await Promise.all(Array.from({ length: 8 }, () => send('post', '/customers', body, 'concurrent-1')));
    expect(answers[0].status).toBe(201);
    expect(answers.every((a) => JSON.stringify(a) === JSON.stringify(answers[0]))).toBe(true);
    const customerId = answers[0].body.customerId as string;
    expect((await streamOf(customerId)).map((e) => e.type)).toEqual(['CustomerRegistered']);

    const bookings = await Promise.all(Array.from({ length: 8 }, () => send('post', `/customers/${customerId}/bookings`, trip('b-1'), 'concurrent-2')));
    expect(new Set(bookings.map((a) => JSON.stringify(a))).size).toBe(1);
    expect((await streamOf(customerId)).map((e) => e.type)).toEqual(['CustomerRegistered', 'TripBooked']);
  });

  it('a key belongs to its caller: two callers with the same key and body write twice', async () => {
    await command(t, 'post', '/customers', registration('ik-callers'), 201);
    const { interactionId: _none, ...body } = interaction('unused');
    const byAdmin = await send('post', '/customers/ik-callers/interactions', body, 'shared-1', 'admin');
    const byAgent = await send('post', '/customers/ik-callers/interactions', body, 'shared-1', 'agent');
    expect([byAdmin.status, byAgent.status]).toEqual([201, 201]);
    expect(byAgent.body.position).not.toBe(byAdmin.body.position);
    expect(await send('post', '/customers/ik-callers/interactions', body, 'shared-1', 'agent')).toEqual(byAgent);
    const logged = (await streamOf('ik-callers')).filter((e) => e.type === 'InteractionLogged');
    expect(logged.map((e) => e.metadata.actor.id)).toEqual(['test-admin', 'test-agent']);
  });

  it.each([
    ['an empty key', ''],
    ['a key over 200 characters', 'k'.repeat(201)],
    ['a key with a space', 'my key'],
    ['a key with a non-ASCII character', 'schlüssel'],
  ])('refuses %s with 400 naming the header and its rule, writing nothing', async (_name, key) => {
    if ((await streamOf('ik-bad')).length === 0) await command(t, 'post', '/customers', registration('ik-bad'), 201);
    const before = await t.eventCount();
    const res = await t.http().post('/customers/ik-bad/interactions').set('Idempotency-Key', key).send(interaction(`i-${key.length}-${key.charCodeAt(0)}`));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'Idempotency-Key', rule: 'must be 1 to 200 visible ASCII characters (! to ~, no spaces)' });
    expect(await t.eventCount()).toBe(before);
  });

  it('a 200-character key of every visible ASCII character is taken', async () => {
    await command(t, 'post', '/customers', registration('ik-long'), 201);
    const visible = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    const key = (visible + visible + visible).slice(0, 200);
    const first = await send('post', '/customers/ik-long/interactions', interaction('i-1'), key);
    expect(first.status).toBe(201);
    expect(await send('post', '/customers/ik-long/interactions', interaction('i-1'), key)).toEqual(first);
  });

  it('every command endpoint answers a retry with its first answer and writes nothing more', async () => {
    const c = '/customers/ik-all';
    const steps: [string, 'post' | 'patch' | 'delete', string | (() => Promise<string>), object | undefined, number][] = [
      ['register', 'post', '/customers', registration('ik-all', { occurredAt: undefined }), 201],
      ['update', 'patch', c, { name: 'Maria P.', marketingConsent: true }, 200],
      ['book', 'post', `${c}/bookings`, trip('b1', { occurredAt: undefined }), 201],
      ['amend', 'post', `${c}/bookings/b1/amend`, { returnDate: '2025-06-15' }, 200],
      ['book another', 'post', `${c}/bookings`, trip('b2'), 201],
      ['cancel', 'post', `${c}/bookings/b2/cancel`, { reason: 'illness' }, 200],
      ['depart', 'post', `${c}/bookings/b1/departure`, undefined, 200],
      ['return', 'post', `${c}/bookings/b1/return`, {}, 200],
      ['file a complaint', 'post', `${c}/complaints`, complaint('c1'), 201],
      ['acknowledge', 'post', `${c}/complaints/c1/acknowledge`, {}, 200],
      ['resolve', 'post', `${c}/complaints/c1/resolve`, { resolution: 'Voucher sent' }, 200],
      ['answer a survey', 'post', `${c}/surveys`, { surveyId: 's1', bookingId: 'b1', nps: 9 }, 201],
      ['log an interaction', 'post', `${c}/interactions`, { channel: 'phone', direction: 'inbound', topic: 'thanks', summary: 'Called to say thanks.' }, 201],
      ['grant VIP', 'post', `${c}/vip`, { reason: 'Ten years with us' }, 201],
      ['revoke VIP', 'delete', `${c}/vip`, { reason: 'Granted by mistake' }, 200],
      ['complete a touchpoint', 'post', openTouchpoint, { outcome: 'done', note: 'Called' }, 201],
      ['issue a risk alert', 'post', '/risk-alerts', { country: 'GR', from: '2026-07-10', to: '2026-07-20', severity: 'high', message: 'Storm warning.' }, 201],
      ['forget', 'post', `${c}/forget`, { reason: 'Erasure request 17' }, 200],
    ];
    for (const [name, method, to, body, status] of steps) {
      const path = typeof to === 'string' ? to : await to();
      const key = `all-${name.replaceAll(' ', '-')}`;
      const first = await send(method, path, body, key);
      expect({ name, status: first.status, body: first.body }).toMatchObject({ name, status });
      const written = await t.eventCount();
      expect({ name, ...(await send(method, path, body, key)) }).toEqual({ name, ...first });
      expect({ name, events: await t.eventCount() }).toEqual({ name, events: written });
    }
  });
});

/** The id of an open touchpoint of customer ik-all, once the projection has scheduled its trips. */
async function openTouchpoint(): Promise<string> {
  let id: string | undefined;
  await until(
    'a touchpoint of ik-all is scheduled',
    async () => {
      const { body } = await t.http().get('/customers/ik-all/touchpoints').query({ asOf: '2025-01-01T00:00:00Z' });
      id = (body.touchpoints as { touchpointId: string; status: string }[] | undefined)?.find((row) => row.status === 'open')?.touchpointId;
      return id !== undefined;
    },
    10_000,
  );
  return `/touchpoints/${id}/complete`;
}

describe('natural ids sent again', () => {
  it('the same booking again answers as the first time; other content under its id is 409 booking.id-unique', async () => {
    await command(t, 'post', '/customers', registration('ik-nat'), 201);
    const first = await send('post', '/customers/ik-nat/bookings', trip('b-1'));
    await send('post', '/customers/ik-nat/interactions', interaction('i-1'));
    // The answer of the first time (its version and position), though the stream has moved on since.
    expect(await send('post', '/customers/ik-nat/bookings', trip('b-1', { occurredAt: '2025-02-01T00:00:00Z' }))).toEqual(first);
    const before = await t.eventCount();
    const other = await send('post', '/customers/ik-nat/bookings', trip('b-1', { travellers: 3 }));
    expect(other).toMatchObject({ status: 409, body: { rule: 'booking.id-unique' } });
    expect(await t.eventCount()).toBe(before);
  });

  it.each([
    ['a registration', '/customers', registration('ik-nat-2'), { name: 'Someone Else' }, 'customer.already-registered'],
    ['a complaint', '/customers/ik-nat-2/complaints', complaint('c-1'), { severity: 'low' }, 'complaint.id-unique'],
    ['a survey', '/customers/ik-nat-2/surveys', { surveyId: 's-1', nps: 7 }, { nps: 8 }, 'survey.id-unique'],
    ['an interaction', '/customers/ik-nat-2/interactions', interaction('i-1'), { summary: 'Another call' }, 'interaction.id-unique'],
    ['a risk alert', '/risk-alerts', { alertId: 'ra-nat', country: 'GR', from: '2026-07-10', to: '2026-07-20', severity: 'high', message: 'Storm.' }, { message: 'Fire.' }, 'risk-alert.id-unique'],
  ])('%s sent again is answered as the first time; changed, it is a 409', async (_name, path, body, change, rule) => {
    const first = await send('post', path, body);
    expect(first.status).toBe(201);
    const before = await t.eventCount();
    expect(await send('post', path, body)).toEqual(first);
    expect(await send('post', path, { ...body, ...change })).toMatchObject({ status: 409, body: { rule } });
    expect(await t.eventCount()).toBe(before);
  });
});

describe('OpenAPI', () => {
  it('shows the Idempotency-Key header on every command that writes events', async () => {
    const { body } = await t.http().get('/docs-json').expect(200);
    // Not a caller's commands: evaluations and fits (their engine-schedule events carry ids of their own); an import's
    // lines are its keys; the console's sign-in and sign-out write no event.
    const notCommands = ['/segments/evaluate', '/analytics/churn-model/fit', '/imports', '/auth/session'];
    const operations = Object.entries(body.paths as Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([method]) => ['post', 'patch', 'put', 'delete'].includes(method) && !notCommands.includes(path))
        .map(([method, operation]) => ({ operation: `${method} ${path}`, header: operation.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key') ?? false })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(17);
    expect(operations.filter((o) => !o.header)).toEqual([]);
  });
});
