import type { Pool } from 'pg';
import { compareCheckpoints, type Checkpoint, type EventStore } from '../../event-store/src';
import { BUILDING, type StoppedAt } from './partitioned-apply';

export interface ProjectionStatus {
  name: string;
  version: number;
  /** running; stopped at an event in one or more partitions (the others go on); or rebuilding beside the tables that serve. */
  state: 'running' | 'stopped' | 'rebuilding';
  /** The least advanced partition's checkpoint. */
  checkpoint: Checkpoint;
  /** Global position of the last event the least advanced partition has passed. */
  position: number;
  lagEvents: number;
  lagSeconds: number;
  /** Events per second over the last batch. */
  rate: number;
  eventsProcessed: number;
  updatedAt: string | null;
  lastError: string | null;
  stopped: StoppedAt[];
  partitions: number;
  /** The blue/green build in progress (npm run projections -- rebuild, or a new version), or null. */
  rebuilding: { version: number; eventsProcessed: number; lagEvents: number; percent: number; rate: number; stopped: StoppedAt[] } | null;
}

/**
 * What `/projections` and `npm run projections -- status` show: per read model, its version, the least advanced
 * partition's position and lag, rate, state (running, stopped at events, rebuilding with how far), and the build.
 */
export async function projectionStatuses(pool: Pool, store: EventStore): Promise<ProjectionStatus[]> {
  const { rows } = await pool.query<{
    name: string;
    version: number;
    checkpoint: string;
    position: string;
    events_processed: string;
    rate: number;
    updated_at: Date | null;
    last_error: string | null;
    stopped: StoppedAt | null;
  }>('SELECT * FROM read_models.projection_checkpoints ORDER BY name, partition');
  const byName = new Map<string, typeof rows>();
  for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
  const summary = async (partitions: typeof rows) => {
    const least = partitions.reduce((a, b) => (compareCheckpoints(b.checkpoint, a.checkpoint) < 0 ? b : a));
    const lag = await store.lag(least.checkpoint);
    const updated = partitions.map((row) => row.updated_at).filter((at): at is Date => at !== null);
    return {
      least,
      lag,
      stopped: partitions.map((row) => row.stopped).filter((at): at is StoppedAt => at !== null),
      rate: Math.round(Math.max(...partitions.map((row) => row.rate))),
      eventsProcessed: partitions.reduce((sum, row) => sum + Number(row.events_processed), 0),
      updatedAt: updated.length ? new Date(Math.max(...updated.map(Number))).toISOString() : null,
      lastError: partitions.find((row) => row.last_error)?.last_error ?? null,
    };
  };
  const live = [...byName.keys()].filter((name) => !name.endsWith(BUILDING));
  return Promise.all(
    live.map(async (name) => {
      const partitions = byName.get(name)!;
      const { least, lag, stopped, rate, eventsProcessed, updatedAt, lastError } = await summary(partitions);
      const building = byName.get(`${name}${BUILDING}`);
      const build = building && (await summary(building));
      const rebuilding = build && {
        version: build.least.version,
        eventsProcessed: build.eventsProcessed,
        lagEvents: build.lag.events,
        percent: Math.floor((1000 * build.eventsProcessed) / Math.max(1, build.eventsProcessed + build.lag.events)) / 10,
        rate: build.rate,
        stopped: build.stopped,
      };
      return {
        name,
        version: least.version,
        state: stopped.length ? 'stopped' : rebuilding ? 'rebuilding' : 'running',
        checkpoint: least.checkpoint,
        position: Number(least.position),
        lagEvents: lag.events,
        lagSeconds: lag.oldestRecordedAt ? Math.max(0, (Date.now() - Date.parse(lag.oldestRecordedAt)) / 1000) : 0,
        rate,
        eventsProcessed,
        updatedAt,
        lastError,
        stopped,
        partitions: partitions.length,
        rebuilding: rebuilding ?? null,
      } satisfies ProjectionStatus;
    }),
  );
}
