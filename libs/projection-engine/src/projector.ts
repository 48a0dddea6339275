import type { Pool, PoolClient } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { START, compareCheckpoints, type Checkpoint, type EventStore, type RecordedEvent } from '../../event-store/src';
import { inTransaction, migrate, type DatabaseAvailability } from '../../postgres/src';
import type { Projection } from './projection';

export interface ProjectionStatus {
  name: string;
  version: number;
  checkpoint: Checkpoint;
  /** Global position of the last event this projection has passed. */
  position: number;
  lagEvents: number;
  lagSeconds: number;
  /** Events per second over the last batch. */
  rate: number;
  eventsProcessed: number;
  updatedAt: string | null;
  lastError: string | null;
}

export interface ProjectorOptions {
  batchSize?: number;
  pollIntervalMs?: number;
  log?: (line: string) => void;
  /** With it, a lost database is waited out (logged there once) instead of logged and retried per projection. */
  availability?: Pick<DatabaseAvailability, 'failed' | 'up'>;
}

const CHECKPOINTS_MIGRATION = {
  version: 1,
  name: 'projection checkpoints',
  sql: `
CREATE SCHEMA IF NOT EXISTS read_models;
CREATE TABLE read_models.projection_checkpoints (
  name             text PRIMARY KEY,
  version          int NOT NULL,
  checkpoint       text NOT NULL,
  position         bigint NOT NULL DEFAULT 0,
  events_processed bigint NOT NULL DEFAULT 0,
  rate             double precision NOT NULL DEFAULT 0,
  updated_at       timestamptz,
  last_error       text
);`,
};

class CheckpointMoved extends Error {}

/**
 * Runs projections from the global log into PostgreSQL read models. Each batch is applied in one
 * transaction that also advances the projection's checkpoint, so every event takes effect exactly once,
 * whatever crashes in between; the checkpoint row is locked and compared, so two projectors never apply
 * the same batch twice.
 */
export class Projector {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly log: (line: string) => void;
  private readonly availability?: ProjectorOptions['availability'];

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    readonly projections: readonly Projection[],
    options: ProjectorOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.log = options.log ?? (() => undefined);
    this.availability = options.availability;
  }

  async migrate(): Promise<void> {
    await migrate(this.pool, 'projection_checkpoints', [CHECKPOINTS_MIGRATION]);
    for (const projection of this.projections) {
      await migrate(this.pool, `projection:${projection.name}`, projection.migrations, projection.routines);
      await this.pool.query(
        `INSERT INTO read_models.projection_checkpoints (name, version, checkpoint) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
        [projection.name, projection.version, START],
      );
    }
  }

  projection(name: string): Projection {
    const projection = this.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`unknown projection "${name}"; known: ${this.projections.map((p) => p.name).join(', ')}`);
    return projection;
  }

  /** Follows the log live until the signal aborts; a failed batch is rolled back, logged and retried (a lost database is waited out). */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.projections.map((projection) => this.follow(projection, signal)));
  }

  /** Applies everything committed so far; returns the number of events passed. */
  async catchUp(name: string, onProgress?: (processed: number, checkpoint: Checkpoint) => void): Promise<number> {
    const projection = this.projection(name);
    let checkpoint = await this.checkpointOf(name);
    let processed = 0;
    for (;;) {
      const batch = await this.store.readAll(checkpoint, this.batchSize);
      if (batch.events.length === 0) return processed;
      try {
        await this.applyBatch(projection, checkpoint, batch.events);
      } catch (error) {
        // Another projector applied this batch first: continue from where it got to.
        if (!(error instanceof CheckpointMoved)) throw error;
        checkpoint = await this.checkpointOf(name);
        continue;
      }
      checkpoint = batch.checkpoint;
      processed += batch.events.length;
      onProgress?.(processed, checkpoint);
    }
  }

  /**
   * Replays the whole log into the projection's tables in one transaction: queries keep reading the old rows
   * until it commits (no empty or half-built model), and a live projector waits on the checkpoint row, then goes
   * on from the rebuilt checkpoint. Events committed while it ran are applied right after, by a catch-up.
   */
  async rebuild(name: string, onProgress?: (processed: number, checkpoint: Checkpoint) => void): Promise<number> {
    const projection = this.projection(name);
    const replayed = await inTransaction(this.pool, async (client) => {
      await client.query('SELECT 1 FROM read_models.projection_checkpoints WHERE name = $1 FOR UPDATE', [name]);
      for (const table of projection.tables) await client.query(`DELETE FROM ${table}`);
      await client.query(
        `UPDATE read_models.projection_checkpoints
            SET checkpoint = $2, position = 0, events_processed = 0, rate = 0, updated_at = now(), last_error = NULL, version = $3
          WHERE name = $1`,
        [name, START, projection.version],
      );
      let checkpoint = START;
      let processed = 0;
      for (;;) {
        const batch = await this.store.readAll(checkpoint, this.batchSize);
        if (batch.events.length === 0) return processed;
        await this.applyWithin(client, projection, checkpoint, batch.events);
        checkpoint = batch.checkpoint;
        processed += batch.events.length;
        onProgress?.(processed, checkpoint);
      }
    });
    return replayed + (await this.catchUp(name, onProgress && ((processed, checkpoint) => onProgress(replayed + processed, checkpoint))));
  }

  async status(): Promise<ProjectionStatus[]> {
    const { rows } = await this.pool.query<{
      name: string;
      version: number;
      checkpoint: string;
      position: string;
      events_processed: string;
      rate: number;
      updated_at: Date | null;
      last_error: string | null;
    }>('SELECT * FROM read_models.projection_checkpoints ORDER BY name');
    return Promise.all(
      rows.map(async (row) => {
        const lag = await this.store.lag(row.checkpoint);
        return {
          name: row.name,
          version: row.version,
          checkpoint: row.checkpoint,
          position: Number(row.position),
          lagEvents: lag.events,
          lagSeconds: lag.oldestRecordedAt ? Math.max(0, (Date.now() - Date.parse(lag.oldestRecordedAt)) / 1000) : 0,
          rate: Math.round(row.rate),
          eventsProcessed: Number(row.events_processed),
          updatedAt: row.updated_at?.toISOString() ?? null,
          lastError: row.last_error,
        };
      }),
    );
  }

  /**
   * Read-your-writes: resolves true once every projection has passed the event at `position`,
   * false when `timeoutMs` runs out first.
   */
  async waitFor(position: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const target = await this.store.checkpointOf(position);
    if (!target) return false;
    for (;;) {
      const { rows } = await this.pool.query<{ checkpoint: string }>('SELECT checkpoint FROM read_models.projection_checkpoints');
      if (rows.every((row) => compareCheckpoints(row.checkpoint, target) >= 0)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async checkpointOf(name: string): Promise<Checkpoint> {
    const { rows } = await this.pool.query<{ checkpoint: string }>('SELECT checkpoint FROM read_models.projection_checkpoints WHERE name = $1', [
      name,
    ]);
    if (!rows.length) throw new Error(`projection "${name}" has no checkpoint: run migrate first`);
    return rows[0].checkpoint;
  }

  private async follow(projection: Projection, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let checkpoint: Checkpoint = START;
      try {
        checkpoint = await this.checkpointOf(projection.name);
        for await (const events of this.store.subscribe(checkpoint, { batchSize: this.batchSize, pollIntervalMs: this.pollIntervalMs, signal })) {
          await this.applyBatch(projection, checkpoint, events);
          checkpoint = events[events.length - 1].checkpoint;
          failures = 0;
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof CheckpointMoved) continue;
        if (this.availability?.failed(error)) {
          await this.availability.up(signal);
          continue;
        }
        failures++;
        const message = error instanceof Error ? error.message : String(error);
        this.log(`projection ${projection.name}: batch after ${checkpoint} failed (${message}); retrying`);
        await this.pool
          .query('UPDATE read_models.projection_checkpoints SET last_error = $2 WHERE name = $1', [projection.name, message])
          .catch(() => undefined);
        await sleep(Math.min(30_000, 100 * 2 ** failures), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private applyBatch(projection: Projection, from: Checkpoint, events: RecordedEvent[]): Promise<void> {
    return inTransaction(this.pool, (client) => this.applyWithin(client, projection, from, events));
  }

  /** Applies one batch and advances the checkpoint, inside the caller's transaction. */
  private async applyWithin(client: PoolClient, projection: Projection, from: Checkpoint, events: RecordedEvent[]): Promise<void> {
    const started = process.hrtime.bigint();
    const last = events[events.length - 1];
    const { rows } = await client.query<{ checkpoint: string }>('SELECT checkpoint FROM read_models.projection_checkpoints WHERE name = $1 FOR UPDATE', [
      projection.name,
    ]);
    if (rows[0]?.checkpoint !== from) throw new CheckpointMoved(`projection ${projection.name} moved on elsewhere`);
    const handled = events.filter((event) => projection.handles.includes(event.type));
    if (handled.length) await projection.apply(client, handled);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await client.query(
      `UPDATE read_models.projection_checkpoints
          SET checkpoint = $2, position = $3, events_processed = events_processed + $4, rate = $5, updated_at = now(), last_error = NULL
        WHERE name = $1`,
      [projection.name, last.checkpoint, last.globalPosition, events.length, events.length / Math.max(seconds, 1e-6)],
    );
  }
}
