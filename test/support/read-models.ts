import { Pool } from 'pg';
import { engineEventStore } from '../../apps/engine/src';
import { PostgresEventStore } from '../../libs/event-store/src';
import { Projector } from '../../libs/projection-engine/src';
import { loadTouchpointConfig } from '../../libs/touchpoints/src';
import { projections } from '../../projections';
import { allEventsVisible } from './test-database';

/**
 * Every read model on `url`, as the engines left it (caught up to the end of the log), and the same read models
 * rebuilt from the log: "read models equal a rebuild" is `expect(differences(live, rebuilt)).toEqual([])`. Run it once
 * no engine writes any more, or the two would see different logs.
 */
export async function readModelsAndRebuild(url: string): Promise<{ live: Record<string, unknown[]>; rebuilt: Record<string, unknown[]>; events: number }> {
  const pool = new Pool({ connectionString: url, max: 4 });
  try {
    const { store } = engineEventStore(new PostgresEventStore(pool), pool);
    const projector = new Projector(pool, store, projections({ touchpoints: loadTouchpointConfig(undefined) }));
    const snapshot = async (): Promise<Record<string, unknown[]>> => {
      const tables: Record<string, unknown[]> = {};
      for (const projection of projector.projections) {
        // Then by the whole row's text: a json column has no order of its own (touchpoint_facts).
        for (const table of projection.tables) tables[table] = (await pool.query(`SELECT * FROM ${table} t ORDER BY 1, t::text`)).rows;
      }
      return JSON.parse(JSON.stringify(tables));
    };
    await allEventsVisible(pool);
    for (const projection of projector.projections) await projector.catchUp(projection.name);
    const live = await snapshot();
    for (const projection of projector.projections) await projector.rebuild(projection.name);
    const events = Number((await pool.query('SELECT count(*) FROM event_store.events')).rows[0].count);
    return { live, rebuilt: await snapshot(), events };
  } finally {
    await pool.end();
  }
}

/**
 * The rows in which two sets of read-model tables differ, a line each (at most `shown` a table), with each table's row
 * counts: short enough to stand whole in a CI log, where toEqual's diff of thousands of rows was cut before its point.
 */
export function differences(live: Record<string, unknown[]>, rebuilt: Record<string, unknown[]>, shown = 5): string[] {
  const found: string[] = [];
  for (const table of new Set([...Object.keys(live), ...Object.keys(rebuilt)])) {
    const texts = (rows: unknown[] | undefined): string[] => (rows ?? []).map((row) => JSON.stringify(row));
    const [a, b] = [texts(live[table]), texts(rebuilt[table])];
    const [inA, inB] = [new Set(a), new Set(b)];
    const onlyLive = a.filter((row) => !inB.has(row));
    const onlyRebuilt = b.filter((row) => !inA.has(row));
    if (!onlyLive.length && !onlyRebuilt.length && a.length === b.length) continue;
    found.push(`${table}: ${a.length} rows live, ${b.length} rebuilt; ${onlyLive.length} only live, ${onlyRebuilt.length} only rebuilt`);
    found.push(...onlyLive.slice(0, shown).map((row) => `  live only:    ${row}`), ...onlyRebuilt.slice(0, shown).map((row) => `  rebuilt only: ${row}`));
  }
  return found;
}
