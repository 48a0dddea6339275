import { createServer, type Server } from 'node:net';
import { Pool, type ClientConfig } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { until } from '../../../test/support/until';
import { ChannelListener } from './channel-listener';

let database: TestDatabase;
let pool: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

/** A listener that records what it was told, in order. */
function recording(channel: string, connection: ClientConfig = pool.options, backoff = { firstMs: 50, maxMs: 200 }) {
  const told: string[] = [];
  const listener = new ChannelListener(connection, channel, {
    notification: (payload) => told.push(`notification ${payload}`),
    listening: () => told.push('listening'),
    lost: () => told.push('lost'),
  }, backoff);
  return { listener, told };
}

const terminate = (channel: string) =>
  pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [`listen:${channel}`]);

it('delivers what other connections NOTIFY on its channel, and nothing from other channels', async () => {
  const { listener, told } = recording('demo_one');
  listener.start();
  await until('listening', () => listener.listening, 5_000);
  await pool.query(`SELECT pg_notify('demo_other', 'x'), pg_notify('demo_one', 'a')`);
  await pool.query(`SELECT pg_notify('demo_one', 'b')`);
  await until('two notifications', () => told.length === 3, 5_000);
  expect(told).toEqual(['listening', 'notification a', 'notification b']);
  await listener.close();
});

it('reports a terminated connection, reconnects on its own, and delivers again', async () => {
  const { listener, told } = recording('demo_two');
  listener.start();
  await until('listening', () => listener.listening, 5_000);
  await terminate('demo_two');
  await until('the loss is seen', () => told.includes('lost'), 5_000);
  expect(listener.listening).toBe(false);
  await until('listening again', () => listener.listening, 5_000);
  await pool.query(`SELECT pg_notify('demo_two', 'after')`);
  await until('a notification after the reconnection', () => told.includes('notification after'), 5_000);
  expect(told).toEqual(['listening', 'lost', 'listening', 'notification after']);
  await listener.close();
});

describe('with no database to reach', () => {
  // A port that accepts and drops every connection, as a server going down does.
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('keeps trying, each wait twice the last, never throws, and stops for good when closed', async () => {
    const attempts: number[] = [];
    server.on('connection', () => attempts.push(performance.now()));
    const { listener, told } = recording('demo_three', { host: '127.0.0.1', port, user: 'nobody', database: 'none' }, { firstMs: 20, maxMs: 1_000 });
    listener.start();
    await until('five attempts', () => attempts.length >= 5, 5_000);
    expect(listener.listening).toBe(false);
    expect(told.every((line) => line === 'lost')).toBe(true);
    // Waits of 20, 40, 80 and 160 ms: without the doubling the fourth would be 20 ms too.
    expect(attempts[4] - attempts[3]).toBeGreaterThanOrEqual(150);
    await listener.close();
    const after = attempts.length;
    await new Promise((done) => setTimeout(done, 500));
    expect(attempts.length).toBe(after);
  });
});

it('refuses a channel name that is not a plain identifier (LISTEN cannot take a parameter)', () => {
  expect(() => new ChannelListener(pool.options, 'x; DROP TABLE y', { notification: () => undefined })).toThrow('channel must be a lower-case SQL identifier');
});
