import { Client, Pool } from 'pg';
import { startTestApp, type TestApp } from '../support/test-app';
import { command, registration, trip } from './customer-api.fixtures';

/**
 * The database round trips one HTTP command waits for (issue 14: commands at database speed), counted on the real
 * stack against real PostgreSQL: every statement the app sends through a pool while the request runs is recorded with
 * what had already come back when it was sent. Statements sent before any earlier one's answer is back share its
 * round trip; the command's round trips are the longest chain of statements each waiting for the one before.
 *
 * Left out: the append notifier's NOTIFY, sent on a timer after the answer and never waited for, and the projector
 * (not run here: it works after the command, on its own connections).
 */
interface Statement {
  text: string;
  /** 1 + the round trip of the latest statement whose answer was back when this one was sent. */
  roundTrip: number;
  done: boolean;
}

function recordStatements(): { statements: Statement[]; clientCalls: () => number; stop: () => void } {
  const statements: Statement[] = [];
  let clientCalls = 0;
  const poolQuery = Pool.prototype.query;
  const clientQuery = Client.prototype.query;
  const textOf = (config: unknown): string => (typeof config === 'string' ? config : String((config as { text?: string }).text)).replace(/\s+/g, ' ').trim();
  // The sealer runs on its own interval in every engine process (issue 14): its rounds are not the command's. Left
  // out of both counts, since a round the pool sent just before the recording started reaches the client during it.
  const counted = (text: string): boolean => !text.includes('pg_notify') && !text.includes('event_store.seal(');
  Pool.prototype.query = function (this: Pool, config: unknown, ...rest: unknown[]) {
    const text = textOf(config);
    if (!counted(text)) return (poolQuery as (...args: unknown[]) => unknown).call(this, config, ...rest);
    const answered = statements.filter((statement) => statement.done).map((statement) => statement.roundTrip);
    const statement: Statement = { text, roundTrip: 1 + Math.max(0, ...answered), done: false };
    statements.push(statement);
    const callback = rest[rest.length - 1];
    if (typeof callback === 'function') {
      rest[rest.length - 1] = (...answer: unknown[]) => {
        statement.done = true;
        return (callback as (...args: unknown[]) => unknown)(...answer);
      };
    }
    const result = (poolQuery as (...args: unknown[]) => unknown).call(this, config, ...rest);
    const settle = (): void => void (statement.done = true);
    if (result instanceof Promise) result.then(settle, settle);
    return result;
  } as typeof Pool.prototype.query;
  // Statements on a checked-out client (a transaction's BEGIN and COMMIT) count too: they must show up in the total.
  Client.prototype.query = function (this: Client, config: unknown, ...rest: unknown[]) {
    if (counted(textOf(config))) clientCalls++;
    return (clientQuery as (...args: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof Client.prototype.query;
  return {
    statements,
    clientCalls: () => clientCalls,
    stop: () => {
      Pool.prototype.query = poolQuery;
      Client.prototype.query = clientQuery;
    },
  };
}

let t: TestApp;
beforeAll(async () => {
  // The sealer at its shortest interval, so its rounds overlap the measured commands (they must not be counted).
  t = await startTestApp({ RUN_PROJECTOR: 'false', SEAL_INTERVAL_MS: '10' });
  await command(t, 'post', '/customers', registration('rt-1'), 201);
  // Warm: every pooled connection the path uses is open, so no connection start-up lands in a measured command.
  for (let i = 0; i < 5; i++) await command(t, 'post', '/customers/rt-1/bookings', trip(`warm-${i}`), 201);
});
afterAll(() => t.close());

/** The statements one request sends, by round trip, without authentication's (another change caches API keys). */
async function roundTripsOf(send: () => Promise<unknown>): Promise<{ roundTrips: string[][]; authentication: number }> {
  const recording = recordStatements();
  try {
    await send();
  } finally {
    recording.stop();
  }
  const { statements } = recording;
  expect(recording.clientCalls()).toBe(statements.length);
  const authentication = statements.filter((statement) => statement.text.includes('auth.api_keys'));
  // The rate limit's counts are written when its clock minute turns, by whichever request comes then: not the command's.
  const rest = statements.filter((statement) => !authentication.includes(statement) && !statement.text.includes('auth.rate_limit_hits'));
  const first = Math.min(...rest.map((statement) => statement.roundTrip));
  const roundTrips: string[][] = [];
  for (const statement of rest) (roundTrips[statement.roundTrip - first] ??= []).push(label(statement.text));
  return { roundTrips, authentication: authentication.length };
}

const label = (text: string): string =>
  text.includes('FROM event_store.events') ? 'read stream'
  : text.includes('FROM privacy.customer_keys WHERE') ? 'load key'
  : text.includes('INSERT INTO privacy.customer_keys') ? 'get or create key'
  : text.includes('event_store.append_event') ? 'append'
  : text.slice(0, 80);

describe('round trips of one command', () => {
  it('a booking: the stream and its key together, then the append', async () => {
    const { roundTrips, authentication } = await roundTripsOf(() => command(t, 'post', '/customers/rt-1/bookings', trip('b-1'), 201));
    expect(authentication).toBeLessThanOrEqual(1);
    expect(roundTrips.map((trip) => [...trip].sort())).toEqual([['load key', 'read stream'], ['append']]);
  });

  it('a profile update (personal data): sealed with the key the read found, no second key lookup', async () => {
    const { roundTrips } = await roundTripsOf(() => command(t, 'patch', '/customers/rt-1', { name: 'Maria Nikolaidou' }, 200));
    expect(roundTrips.map((trip) => [...trip].sort())).toEqual([['load key', 'read stream'], ['append']]);
    const [registered, ...rest] = (await t.http().get('/customers/rt-1/events?limit=100').expect(200)).body.events;
    expect(registered.data.name).toBe('Maria Papadopoulou');
    expect(rest.at(-1)).toMatchObject({ type: 'CustomerProfileUpdated', data: { name: 'Maria Nikolaidou' } });
  });

  it('a registration: a new customer has no key yet, so it is created before the append', async () => {
    const { roundTrips } = await roundTripsOf(() => command(t, 'post', '/customers', registration('rt-2'), 201));
    expect(roundTrips.map((trip) => [...trip].sort())).toEqual([['load key', 'read stream'], ['get or create key'], ['append']]);
  });
});
