import { QueueRefused } from '../../../../libs/event-store/src';
import { DatabaseUnavailable, isConnectionFault } from '../../../../libs/postgres/src';
import { toErrorBody } from './errors';

describe('a command refused by its stream queue', () => {
  const limits = { maxWaiting: 100, timeoutMs: 10_000 };

  it('answers 503, retry after a second, naming the bound', () => {
    expect(toErrorBody(new QueueRefused('customer-c1', 'full', limits))).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'customer-c1 is busy: its queue in this process is full (100 waiting); nothing was written, send it again',
      rule: 'command-queue.bounded',
      maxWaiting: 100,
      retryAfterSeconds: 1,
    });
  });

  it('answers 503, retry after a second, naming the wait limit', () => {
    expect(toErrorBody(new QueueRefused('customer-c1', 'timeout', limits))).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'customer-c1 is busy: the command waited 10000 ms for its turn; nothing was written, send it again',
      rule: 'command-queue.wait-limited',
      timeoutMs: 10_000,
      retryAfterSeconds: 1,
    });
  });
});

describe('a database fault', () => {
  const coded = (message: string, code: string): Error => Object.assign(new Error(message), { code });

  it.each([
    ['the server refusing connections', coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a connection reset', coded('read ECONNRESET', 'ECONNRESET')],
    ['pg_ctl stop -m fast or pg_terminate_backend (57P01)', coded('terminating connection due to administrator command', '57P01')],
    ['a server shutting down or starting up (57P03)', coded('the database system is shutting down', '57P03')],
    ['a connection exception (08006)', coded('connection failure', '08006')],
    ['a connection that broke mid-query', new Error('Connection terminated unexpectedly')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
  ])('answers 503 naming the database for %s, with Retry-After', (_name, error) => {
    expect(toErrorBody(error)).toMatchObject({
      statusCode: 503,
      rule: 'database.available',
      message: expect.stringContaining('database'),
      database: { state: 'database-unavailable', lastError: error.message },
      retryAfterSeconds: expect.any(Number),
    });
  });

  it('answers 503 with since and the last error while the database is known to be down, saying nothing was written', () => {
    const down = new DatabaseUnavailable({ state: 'database-unavailable', since: '2026-01-01T00:00:00.000Z', lastError: 'connect ECONNREFUSED' });
    expect(toErrorBody(down)).toMatchObject({
      statusCode: 503,
      message: 'the database is unavailable since 2026-01-01T00:00:00.000Z (connect ECONNREFUSED); nothing was written, send it again later',
      database: { state: 'database-unavailable', since: '2026-01-01T00:00:00.000Z', lastError: 'connect ECONNREFUSED' },
    });
  });

  it.each([
    ['a unique violation', coded('duplicate key value violates unique constraint', '23505')],
    ['a syntax error', coded('syntax error at or near "x"', '42601')],
    ['a serialization failure', coded('could not serialize access', '40001')],
  ])('is not %s: that stays the error it is', (_name, error) => {
    expect(isConnectionFault(error)).toBe(false);
  });
});
