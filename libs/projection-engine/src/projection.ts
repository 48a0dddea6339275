import type { PoolClient } from 'pg';
import type { RecordedEvent } from '../../event-store/src';
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
  /** Emptied, in this order, before a rebuild replays the log from the start. */
  tables: readonly string[];
  /** Runs inside the transaction that also advances the checkpoint; gets only the handled events, in log order. */
  apply(client: PoolClient, events: RecordedEvent[]): Promise<void>;
}
