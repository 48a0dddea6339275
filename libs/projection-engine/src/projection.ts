import type { PoolClient } from 'pg';
import type { Checkpoint, EventStore, RecordedEvent } from '../../event-store/src';

/** Where each partition of a read model stands: its checkpoint, by partition number. */
export type PartitionCheckpoints = Readonly<Record<string, Checkpoint>>;
import type { Migration } from '../../postgres/src';

/** A read model (DESIGN section 5): its tables, the events it handles, and how a batch of them changes its rows. */
export interface Projection {
  /** Also the key of its checkpoint; snake_case, as analysts see it. */
  name: string;
  version: number;
  handles: readonly string[];
  /** Create and upgrade its tables in the read_models schema (DDL only). */
  migrations: readonly Migration[];
  /**
   * Its .sql files of SQL routines (such as a batch apply function `read_models.<name>_apply(p_events jsonb)`),
   * installed after the migrations at every start.
   */
  routines?: readonly string[];
  /** Its tables: a blue/green rebuild builds them beside these and moves them in at the switch. */
  tables: readonly string[];
  /** Views over its tables, moved in with them. */
  views?: readonly string[];
  /** Runs inside the transaction that also advances the checkpoint; gets only the handled events, in log order. */
  apply(client: PoolClient, events: RecordedEvent[]): Promise<void>;
  /** Work done on its tables at instants, not by events (a segment evaluation), which a rebuild redoes. */
  recorded?: RecordedWork;
  /** A faster way for a blue/green build through the log, while nobody reads the tables it builds. */
  bulk?: BulkBuild;
  /**
   * How many batches of it a projector applies at once (default 1), each in its own transaction over its own share of
   * the process's partitions, as separate processes would: for a projection whose batches are as much JavaScript as
   * PostgreSQL work, so that one's queries run while the other's JavaScript does.
   */
  followers?: number;
}

/**
 * How a blue/green build goes through the log up to near its head (issue 16): `apply` leaves work undone that
 * `finish` then does once for all (touchpoints: the facts are folded batch by batch, each customer's schedule
 * computed once at the end). After `finish` the build applies the rest with the projection's own `apply`.
 */
export interface BulkBuild {
  /**
   * Tables whose indexes neither `apply` nor `finish` reads: made only after `finish`, at once rather than row by row.
   * Partial indexes are kept all along: each holds the few rows its predicate picks, and made afterwards it would
   * read the whole table for them.
   */
  unindexed: readonly string[];
  /** As the projection's `apply`, but leaving to `finish` what it can do better once. */
  apply(client: PoolClient, events: RecordedEvent[]): Promise<void>;
  /**
   * Brings the tables to what the projection's `apply` of the same events would have made. `inTransaction` runs work
   * in a short transaction of its own on the build's tables, several at once if called so; `progress` is told how far.
   */
  finish(inTransaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>, progress: (done: number, total: number) => void): Promise<void>;
}

/**
 * Work on a read model's tables that a schedule or a person does at an instant (a segment evaluation, a churn
 * scoring), on the facts as they stood in one snapshot: each partition at its checkpoint. Each is recorded as an
 * event in a stream of its own, after its transaction commits and before its lock is let go; a blue/green rebuild
 * applies each partition up to that work's checkpoint, then redoes it there (issue 16, point 4).
 */
export interface RecordedWork {
  /** The stream its events are in (engine-schedule-*). */
  stream: string;
  /** The session advisory lock (a hashtextextended key) the work holds from before its transaction until its event is appended. */
  lock: string;
  /** The events to redo, in order, from the stream's events (for example with a later config applied to earlier ones). */
  plan(events: RecordedEvent[]): RecordedEvent[];
  /** Where each partition of this read model stood in the work's snapshot; null when it read none (a fit, copied as it was). */
  at(event: RecordedEvent): PartitionCheckpoints | null;
  /** Redoes the work on the read model's tables through `client` (retargeted to the build's tables in a rebuild). */
  redo(client: PoolClient, event: RecordedEvent): Promise<void>;
  /**
   * Appends to the stream the work the read model's tables hold and the stream lacks: work appends itself after its
   * commit, so a process that died in between left it out until the next work. A rebuild's switch calls it (holding
   * the lock, so no work is under way), or the new tables would lack that work.
   */
  publish(client: PoolClient, store: EventStore): Promise<void>;
}
