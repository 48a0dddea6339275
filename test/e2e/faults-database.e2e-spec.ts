import { createApiKey } from '../../libs/auth/src';
import { CommandLoad, lostOrDoubled } from '../support/command-load';
import type { EngineProcess } from '../support/engine-process';
import { engineFleet } from '../support/engine-fleet';
import { differences, readModelsAndRebuild } from '../support/read-models';
import { until } from '../support/until';

/**
 * Issue 15: the database fails under a steady load of commands, and the engine processes (as built, on a server of
 * the test's own) live through it: connections cut by pg_terminate_backend, PostgreSQL stopped for 10 s with
 * -m fast and -m immediate, then SIGTERM while it is down. No process dies, the API answers 503 naming the
 * database at once while it is down, every acknowledged command is in the log exactly once, the read models come
 * back by themselves and equal a rebuild, and each recovery time is printed.
 */
const OUTAGE_MS = 10_000;
const RATE = 25;

const fleet = engineFleet();

/** The engine processes are all still running, and none printed a crash. */
const expectAlive = (running: EngineProcess[]): void => {
  for (const engine of running) {
    if (!engine.running()) throw new Error(`${engine.name} died:\n${engine.output()}`);
    expect(engine.output()).not.toMatch(/Unhandled|uncaught|TypeError|\n\s+at .*\.js:\d+/i);
  }
};

/** Every projection has passed `position`. */
const readModelsAt = async (position: number): Promise<boolean> => {
  const { rows } = await fleet.sql.query<{ behind: number }>('SELECT count(*)::int AS behind FROM read_models.projection_checkpoints WHERE position < $1', [position]);
  return rows[0].behind === 0;
};

/** From the database's return to the first acknowledged command, and to read models that include it. */
async function recovery(what: string, load: CommandLoad, back: number): Promise<void> {
  const first = await load.acknowledgedAfter(back, 30_000);
  const commandsS = (first.at - back) / 1000;
  await until('the read models include the first command after the outage', () => readModelsAt(first.body!.position!), 30_000);
  console.log(`recovery after ${what}: commands ${commandsS.toFixed(1)} s, read models ${((Date.now() - back) / 1000).toFixed(1)} s`);
}

/** During the outage every answer was a 503 naming the database, with Retry-After, sent at once. */
function expectOutageAnswers(what: string, load: CommandLoad, from: number, to: number): void {
  const during = load.answers.filter((a) => a.at > from + 500 && a.at < to);
  expect(during.length).toBeGreaterThan(OUTAGE_MS / 1000);
  for (const answer of during) {
    expect(answer).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), body: { rule: 'database.available', message: expect.stringMatching(/database/) } });
  }
  const ms = during.map((a) => a.ms).sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)];
  console.log(`503 answers during ${what}: ${ms.length}, median ${median.toFixed(0)} ms, max ${ms[ms.length - 1].toFixed(0)} ms`);
  expect(median).toBeLessThan(100);
}

async function outage(what: string, mode: 'fast' | 'immediate', load: CommandLoad, running: EngineProcess[]): Promise<void> {
  await fleet.server.stop(mode);
  const down = Date.now();
  await new Promise((done) => setTimeout(done, OUTAGE_MS));
  const up = Date.now();
  await fleet.server.start();
  const back = Date.now();
  expectAlive(running);
  await recovery(what, load, back);
  expectOutageAnswers(what, load, down, up);
}

async function expectLogHoldsEveryAcknowledged(load: CommandLoad, prefix: string): Promise<void> {
  await load.stop();
  expect(load.acknowledged.size).toBeGreaterThan(RATE);
  expect(await lostOrDoubled(fleet.sql, load, prefix)).toEqual({ lost: [], doubled: [] });
  // No answer but 2xx and 503: no 500 for a database fault.
  expect(load.answers.filter((a) => a.status !== 503 && (a.status < 200 || a.status >= 300))).toEqual([]);
}

async function sigtermWithin(engine: EngineProcess, ms: number): Promise<number> {
  const sent = Date.now();
  engine.child.kill('SIGTERM');
  if (!(await engine.exitsWithin(ms))) throw new Error(`${engine.name} still running ${ms} ms after SIGTERM:\n${engine.output()}`);
  return Date.now() - sent;
}

it('the single-process engine lives through cut connections and two 10 s outages, then stops within 10 s while the database is down', async () => {
  const engine = fleet.start('engine', 'api');
  const url = await engine.url();
  const load = new CommandLoad(url, (await createApiKey(fleet.sql, 'faults-single', 'admin')).key, 'single');
  fleet.loads.push(load);
  await load.register();
  load.start(RATE);

  for (const round of [1, 2]) {
    await new Promise((done) => setTimeout(done, 1_000));
    const cut = await fleet.sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND application_name <> 'test'`);
    expect(cut.rowCount).toBeGreaterThan(0);
    const back = Date.now();
    expectAlive([engine]);
    await recovery(`pg_terminate_backend of every engine connection (round ${round})`, load, back);
  }
  await outage('pg stop -m fast (single process)', 'fast', load, [engine]);
  await outage('pg stop -m immediate (single process)', 'immediate', load, [engine]);
  await expectLogHoldsEveryAcknowledged(load, 'single');

  // While the database is down: /health answers 503 naming it, and SIGTERM still ends the engine within 10 s.
  await fleet.server.stop('fast');
  await until('the engine has noticed the outage', async () => (await fetch(`${url}/health`)).status === 503, 5_000);
  const health = await fetch(`${url}/health`);
  expect(health.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(await health.json()).toMatchObject({ statusCode: 503, rule: 'database.available', database: { state: 'database-unavailable', since: expect.any(String), lastError: expect.any(String) } });
  console.log(`SIGTERM with the database down: exited after ${((await sigtermWithin(engine, 10_000)) / 1000).toFixed(1)} s`);
  expect(engine.output()).toMatch(/database unavailable/);
  expect(engine.output()).toMatch(/database back after/);
  await fleet.server.start();

  const { live, rebuilt } = await readModelsAndRebuild(fleet.server.url);
  expect(differences(live, rebuilt)).toEqual([]);
}, 150_000);

it('separate API and projector processes live through 10 s outages (fast and immediate) and stop within 10 s', async () => {
  const api = fleet.start('api', 'api', ['--no-projector']);
  const projector = fleet.start('projector', 'projector');
  const load = new CommandLoad(await api.url(), (await createApiKey(fleet.sql, 'faults-split', 'admin')).key, 'split');
  fleet.loads.push(load);
  await load.register();
  load.start(RATE);
  await new Promise((done) => setTimeout(done, 1_000));

  await outage('pg stop -m fast (API + projector)', 'fast', load, [api, projector]);
  await outage('pg stop -m immediate (API + projector)', 'immediate', load, [api, projector]);
  await expectLogHoldsEveryAcknowledged(load, 'split');
  expect(projector.output()).toMatch(/database unavailable[^\n]*\n(?:(?!database unavailable)[\s\S])*database back after/);

  for (const engine of [api, projector]) console.log(`SIGTERM of the ${engine.name}: exited after ${((await sigtermWithin(engine, 10_000)) / 1000).toFixed(1)} s`);
  const { live, rebuilt } = await readModelsAndRebuild(fleet.server.url);
  expect(differences(live, rebuilt)).toEqual([]);
}, 150_000);

it('processes started while the database is down, or whose connections are cut as they start, wait for it and start; SIGTERM while waiting ends one at once', async () => {
  // A projector's connections cut while it opens its runtime (migrations, checks), until it says so: it starts all the same.
  const cutting = fleet.start('projector-cut-while-starting', 'projector');
  let cuts = 0;
  await until(
    'the projector says its start lost the database',
    async () => {
      const cut = await fleet.sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND application_name <> 'test'`);
      cuts += cut.rowCount ?? 0;
      return /the database cannot be reached yet/.test(cutting.output()) || !cutting.running();
    },
    30_000,
  );
  const cutsEnded = Date.now();
  await until('the projector follows the log', () => /following the log into/.test(cutting.output()) || !cutting.running(), 30_000);
  expectAlive([cutting]);
  console.log(`a projector whose connections were cut ${cuts} times as it started: following the log ${((Date.now() - cutsEnded) / 1000).toFixed(1)} s after the cuts`);

  await fleet.server.stop('fast');
  const api = fleet.start('api-before-database', 'api');
  const projector = fleet.start('projector-before-database', 'projector');
  const stopped = fleet.start('projector-stopped-while-waiting', 'projector');
  await until('each waits for the database', () => [api, projector, stopped].every((engine) => /the database cannot be reached yet/.test(engine.output())), 30_000);
  console.log(`SIGTERM while waiting for the database: exited after ${((await sigtermWithin(stopped, 2_000)) / 1000).toFixed(1)} s`);
  expect(await stopped.exited).toEqual({ code: 0, signal: null });
  expect(stopped.output()).toMatch(/stopped before the database could be reached/);

  await fleet.server.start();
  const back = Date.now();
  const url = await api.url(30_000);
  expect((await fetch(`${url}/health`)).status).toBe(200);
  await until('the projector follows the log', () => /following the log into/.test(projector.output()), 30_000);
  console.log(`processes started while the database was down: listening ${((Date.now() - back) / 1000).toFixed(1)} s after it came back`);
  expectAlive([cutting, api, projector]);
  for (const engine of [cutting, api, projector]) await sigtermWithin(engine, 10_000);
}, 120_000);
