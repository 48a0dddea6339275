import { createApiKey } from '../../libs/auth/src';
import { leaseOwners, PARTITIONS } from '../../libs/projection-engine/src';
import { CommandLoad, lostOrDoubled } from '../support/command-load';
import type { EngineProcess } from '../support/engine-process';
import { engineFleet } from '../support/engine-fleet';
import { differences, readModelsAndRebuild } from '../support/read-models';
import { until } from '../support/until';

/**
 * Issue 16: two API processes and three projector processes on one PostgreSQL (the built engine, real processes)
 * take about 20,000 commands; one projector is killed with SIGKILL mid-run and another started. Its partitions are
 * taken over (the time is printed), no acknowledged command is lost or doubled, no event is applied twice (each read
 * model passed each event of the log exactly once, counted in its checkpoints), and every read model equals a
 * single-process rebuild of the same log, table by table.
 */
const RATE = 120;
const RUN_MS = 85_000;

const fleet = engineFleet();

/** The lease id a projector process announced for itself. */
const leaseId = async (projector: EngineProcess): Promise<string> => {
  await until(`${projector.name} holds partitions`, () => /projector (\S+): partitions \d/.test(projector.output()), 30_000);
  return /projector (\S+): partitions \d/.exec(projector.output())![1];
};

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

it('2 API and 3 projector processes take ~20,000 commands, a projector killed mid-run is taken over, and the read models equal a rebuild', async () => {
  const apis = [fleet.start('api-1', 'api', ['--no-projector']), fleet.start('api-2', 'api', ['--no-projector'])];
  const urls = await Promise.all(apis.map((api) => api.url()));
  const projectors = ['projector-1', 'projector-2', 'projector-3'].map((name) => fleet.start(name, 'projector'));
  const ids = await Promise.all(projectors.map(leaseId));
  const key = (await createApiKey(fleet.sql, 'multi-process', 'admin')).key;
  for (const [i, url] of urls.entries()) fleet.loads.push(new CommandLoad(url, key, `mp${i}`, 50));
  await Promise.all(fleet.loads.map((load) => load.register()));
  const started = Date.now();
  for (const load of fleet.loads) load.start(RATE);

  // Shared out: every partition held, by the three of them.
  await until('the three projectors share the partitions', async () => {
    const owners = (await leaseOwners(fleet.sql)).filter((lease) => lease.partition >= 0);
    return owners.every((lease) => lease.owner !== null) && new Set(owners.map((lease) => lease.owner)).size === 3;
  }, 15_000);

  await sleep(RUN_MS / 3);
  const victim = projectors[1];
  victim.child.kill('SIGKILL');
  await victim.exited;
  const killed = Date.now();
  await until('the killed projector\'s partitions are taken over', async () => {
    const owners = await leaseOwners(fleet.sql);
    return owners.every((lease) => lease.owner !== null && lease.owner !== ids[1]);
  }, 30_000);
  const takeover = (Date.now() - killed) / 1000;
  console.log(`partitions of the SIGKILLed projector taken over after ${takeover.toFixed(1)} s`);
  // Issue 16's target. While leases had to expire first (10 s), a quiet run took 10.4 s and loaded CI runs 17.4 and
  // 18.2 s; the killed process's presence session ends with it, and the others take over at their next heartbeat.
  expect(takeover).toBeLessThan(15);
  const replacement = fleet.start('projector-4', 'projector');
  await leaseId(replacement);

  await sleep(Math.max(0, RUN_MS - (Date.now() - started)));
  await Promise.all(fleet.loads.map((load) => load.stop()));
  const sent = fleet.loads.reduce((n, load) => n + load.answers.length, 0);
  const acknowledged = fleet.loads.reduce((n, load) => n + load.acknowledged.size, 0);
  console.log(`multi-process: ${sent} commands sent over ${((Date.now() - started) / 1000).toFixed(0)} s, ${acknowledged} acknowledged`);
  expect(sent).toBeGreaterThan(18_000);
  for (const [i, load] of fleet.loads.entries()) expect(await lostOrDoubled(fleet.sql, load, `mp${i}`)).toEqual({ lost: [], doubled: [] });

  // Caught up: every partition of every read model at the end of the log.
  const { rows: end } = await fleet.sql.query<{ position: string }>('SELECT max(global_position) AS position FROM event_store.events');
  await until('every read model caught up', async () => {
    const { rows } = await fleet.sql.query<{ behind: number }>(
      `SELECT count(*)::int AS behind FROM read_models.projection_checkpoints c
        WHERE EXISTS (SELECT 1 FROM event_store.events e WHERE (e.transaction_id, e.global_position) > (split_part(c.checkpoint, ':', 1)::xid8, split_part(c.checkpoint, ':', 2)::bigint))`,
    );
    return rows[0].behind === 0;
  }, 60_000);
  for (const engine of [...apis, projectors[0], projectors[2], replacement]) {
    if (!engine.running()) throw new Error(`${engine.name} died:\n${engine.output()}`);
  }
  // Applied once: each read model passed each event of the log exactly once, over all its partitions and processes.
  const { rows: passed } = await fleet.sql.query<{ name: string; passed: string; stopped: number }>(
    `SELECT name, sum(events_processed) AS passed, count(stopped)::int AS stopped FROM read_models.projection_checkpoints GROUP BY name ORDER BY name`,
  );
  const events = Number((await fleet.sql.query('SELECT count(*) FROM event_store.events')).rows[0].count);
  expect(passed.map((row) => ({ name: row.name, passed: Number(row.passed), stopped: row.stopped }))).toEqual(passed.map((row) => ({ name: row.name, passed: events, stopped: 0 })));
  console.log(`multi-process: ${events} events (last position ${end[0].position}), each passed once by each of ${passed.length} read models over ${PARTITIONS} partitions`);

  // One key's rate limit holds for both API processes together: 30 a minute, 20 to each (a second apart, so the
  // counts are shared in between) get 429 on the second.
  const limited = (await createApiKey(fleet.sql, 'multi-process-limited', 'analyst', 30)).key;
  const statuses = async (url: string): Promise<number[]> => {
    const answers: number[] = [];
    for (let i = 0; i < 20; i++) answers.push((await fetch(`${url}/projections`, { headers: { Authorization: `Bearer ${limited}` } })).status);
    return answers;
  };
  // Both bursts in one minute (the limit's window): a new minute counts from 0 again.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await sleep(60_500 - intoMinute);
  expect(await statuses(urls[0])).toEqual(Array(20).fill(200));
  await sleep(2_500);
  const second = await statuses(urls[1]);
  // The shared counts, shown if it fails.
  const counts = (await fleet.sql.query('SELECT key, window_start, hits FROM auth.rate_limit_hits ORDER BY key, window_start')).rows;
  expect({ ok: second.filter((status) => status === 200).length, limited: second.filter((status) => status === 429).length, counts }).toEqual({
    ok: 10,
    limited: 10,
    counts: expect.any(Array),
  });

  for (const engine of fleet.engines) if (engine.running()) engine.child.kill('SIGTERM');
  await Promise.all(fleet.engines.map((engine) => engine.exitsWithin(10_000)));
  const { live, rebuilt } = await readModelsAndRebuild(fleet.server.url);
  expect(differences(live, rebuilt)).toEqual([]);
}, 240_000);
