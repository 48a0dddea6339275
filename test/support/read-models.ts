import { Pool } from 'pg';
import { engineEventStore } from '../../apps/engine/src';
import { PostgresEventStore } from '../../libs/event-store/src';
import { Projector } from '../../libs/projection-engine/src';
import { loadTouchpointConfig } from '../../libs/touchpoints/src';
import { projections } from '../../projections';
import { allEventsVisible } from './test-database';

/**
 * Every read model on `url`, as the engines left it (caught up to the end of the log), and the same read models
 * rebuilt from the log: "read models equal a rebuild" is `expect(live).toEqual(rebuilt)`. Run it once no engine
 * writes any more, or the two would see different logs.
 */
export async function readModelsAndRebuild(url: string): Promise<{ live: Record<string, unknown[]>; rebuilt: Record<string, unknown[]>; events: number }> {
  const pool = new Pool({ connectionString: url, max: 4 });
  try {
    const { store } = engineEventStore(new PostgresEventStore(pool), pool);
    const projector = new Projector(pool, store, projections({ touchpoints: loadTouchpointConfig(undefined) }));
    const snapshot = async (): Promise<Record<string, unknown[]>> => {
      const tables: Record<string, unknown[]> = {};
      for (const projection of projector.projections) {
        for (const table of projection.tables) tables[table] = (await pool.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
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
