import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { createApiKey } from '../../libs/auth/src';
import { alive, freePort } from '../../libs/postgres/src';
import { CommandLoad, lostOrDoubled } from '../support/command-load';
import { spawnEngine, type EngineProcess } from '../support/engine-process';
import { clusterOn } from '../support/postgres-server';
import { differences, readModelsAndRebuild } from '../support/read-models';
import { until } from '../support/until';

/**
 * Issue 15: `npm start` in embedded mode (no DATABASE_URL, one DATA_DIR), killed and stopped the hard ways under a
 * steady load of commands. A restart after kill -9 adopts the server its predecessor left running and stops it on
 * its own SIGTERM; after kill -9 of engine and server together it starts the server again; an engine that finds the
 * server shutting down waits for it and starts its own; SIGTERM with a projection batch and requests stuck on a
 * lock, and a read model failing, still ends the engine (and its server) within 10 s. Through all of it every
 * acknowledged command is in the log exactly once and the read models equal a rebuild.
 */
const RATE = 25;
let dataDir: string;
const engines: EngineProcess[] = [];
const loads: CommandLoad[] = [];
let key = '';

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'faults-embedded-'));
});
afterAll(async () => {
  await Promise.all(loads.map((load) => load.stop()));
  for (const engine of engines) if (engine.running()) engine.child.kill('SIGKILL');
  const server = serverPid();
  if (server && alive(server)) process.kill(server, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const serverPid = (): number | null => {
  try {
    return Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
};
const serverUrl = (): string => {
  const password = readFileSync(join(dataDir, 'pg-password'), 'utf8').trim();
  const port = readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3];
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
};

/** An engine on the data folder, serving; with the test's admin key made on the first start. */
async function startEngine(name: string): Promise<{ engine: EngineProcess; url: string; ms: number }> {
  const started = Date.now();
  const engine = spawnEngine(name, 'api', { DATA_DIR: dataDir, DATABASE_URL: '', RATE_LIMIT_PER_MINUTE: '1000000' });
  engines.push(engine);
  const url = await engine.url(60_000);
  if (!key) {
    const pool = new Pool({ connectionString: serverUrl(), max: 1 });
    key = (await createApiKey(pool, 'faults-embedded', 'admin')).key;
    await pool.end();
  }
  return { engine, url, ms: Date.now() - started };
}

const killed = async (engine: EngineProcess): Promise<void> => {
  engine.child.kill('SIGKILL');
  await engine.exited;
};

async function expectNothingLostOrDoubled(load: CommandLoad): Promise<void> {
  await load.stop();
  expect(load.acknowledged.size).toBeGreaterThan(RATE);
  const pool = new Pool({ connectionString: serverUrl(), max: 1 });
  try {
    expect(await lostOrDoubled(pool, load, 'embedded')).toEqual({ lost: [], doubled: [] });
  } finally {
    await pool.end();
  }
}

/** Restarts after a kill under load, and prints how long until commands are acknowledged again. */
async function restartAfter(what: string, load: CommandLoad, name: string): Promise<EngineProcess> {
  const since = Date.now();
  const { engine, url } = await startEngine(name);
  load.retarget(url);
  const first = await load.acknowledgedAfter(since, 60_000);
  console.log(`recovery after ${what}: commands ${((first.at - since) / 1000).toFixed(1)} s (engine start included)`);
  return engine;
}

it('kill -9, kill -9 with the database, a dying server and SIGTERM in bad states: nothing lost, the server always owned', async () => {
  // kill -9 of the engine: its server survives; the restart adopts it.
  const first = await startEngine('first');
  const load = new CommandLoad(first.url, key, 'embedded');
  loads.push(load);
  await load.register();
  load.start(RATE);
  await new Promise((done) => setTimeout(done, 1_500));
  const orphan = serverPid()!;
  await killed(first.engine);
  expect(alive(orphan)).toBe(true);
  const second = await restartAfter('kill -9 of the engine', load, 'second');
  expect(second.output()).toMatch(new RegExp(`adopting the embedded PostgreSQL left running on .* \\(pid ${orphan},.*by engine pid ${first.engine.child.pid}, which is gone`));
  await new Promise((done) => setTimeout(done, 1_000));
  await expectNothingLostOrDoubled(load);

  // SIGTERM while a projection batch and requests wait on a lock and a read model fails: gone within 10 s, server too.
  const blocker = new Client({ connectionString: serverUrl() });
  blocker.on('error', () => undefined);
  await blocker.connect();
  await blocker.query('ALTER TABLE read_models.audit_trail RENAME TO audit_trail_away');
  load.start(RATE);
  await until('the audit trail fails', () => /projection audit_trail: .*failed/.test(second.output()), 10_000);
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE read_models.customer_overview IN ACCESS EXCLUSIVE MODE');
  const url = /listening on (http:\/\/\S+)/.exec(second.output())![1];
  const reads = Array.from({ length: 5 }, () => fetch(`${url}/customers/embedded-c1`, { headers: { Authorization: `Bearer ${key}` } }).catch(() => null));
  await new Promise((done) => setTimeout(done, 1_000));
  const sent = Date.now();
  second.child.kill('SIGTERM');
  const stopped = await second.exitsWithin(10_000);
  const seconds = (Date.now() - sent) / 1000;
  if (!stopped) throw new Error(`still running 10 s after SIGTERM:\n${second.output()}`);
  console.log(`SIGTERM with a batch and requests stuck on a lock and a read model failing: exited after ${seconds.toFixed(1)} s`);
  expect(second.output()).toMatch(/shutdown: still waiting for .* abandoned/);
  // Told to stop at the deadline, the server finishes its fast shutdown on its own.
  await until('the adopted server has stopped', () => !alive(orphan), 10_000);
  await Promise.all(reads);
  await blocker.end().catch(() => undefined);
  await load.stop();

  // kill -9 of engine and server together: the restart starts the server again.
  const third = await startEngine('third');
  const repair = new Client({ connectionString: serverUrl() });
  await repair.connect();
  await repair.query('ALTER TABLE read_models.audit_trail_away RENAME TO audit_trail');
  await repair.end();
  load.retarget(third.url);
  load.start(RATE);
  await new Promise((done) => setTimeout(done, 1_500));
  const server = serverPid()!;
  third.engine.child.kill('SIGKILL');
  process.kill(server, 'SIGKILL');
  await third.engine.exited;
  await until('the killed server is gone', () => !alive(server), 10_000);
  const fourth = await restartAfter('kill -9 of the engine and its database', load, 'fourth');
  expect(serverPid()).not.toBe(server);
  await new Promise((done) => setTimeout(done, 1_000));
  await expectNothingLostOrDoubled(load);

  // A server shutting down (its engine killed, a session keeping a smart shutdown going): the next engine waits, then starts its own.
  const dying = serverPid()!;
  const session = new Client({ connectionString: serverUrl() });
  session.on('error', () => undefined);
  await session.connect();
  await killed(fourth);
  process.kill(dying, 'SIGTERM');
  const fifth = spawnEngine('fifth', 'api', { DATA_DIR: dataDir, DATABASE_URL: '', RATE_LIMIT_PER_MINUTE: '1000000' });
  engines.push(fifth);
  await until('the fifth engine waits for the dying server', () => /is shutting down .*waiting for it to stop/.test(fifth.output()), 20_000);
  await session.end();
  const fifthUrl = await fifth.url(60_000);
  await until('the dying server is gone', () => !alive(dying), 10_000);
  expect((await fetch(`${fifthUrl}/health`)).status).toBe(200);
  const own = serverPid()!;
  fifth.child.kill('SIGTERM');
  expect(await fifth.exited).toEqual({ code: 0, signal: null });
  await until('its own server stopped with it', () => !alive(own), 10_000);

  for (const engine of engines) expect(engine.output()).not.toMatch(/Unhandled|uncaught|TypeError/i);
  const cluster = clusterOn(join(dataDir, 'pg'), await freePort());
  await cluster.start();
  try {
    const { live, rebuilt } = await readModelsAndRebuild(serverUrl());
    expect(differences(live, rebuilt)).toEqual([]);
  } finally {
    await cluster.stop('fast');
  }
}, 180_000);
