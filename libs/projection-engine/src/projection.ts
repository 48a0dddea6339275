import type { PoolClient } from 'pg';
import type { RecordedEvent } from '../../event-store/src';
import type { Migration } from '../../postgres/src';

/** A read model (DESIGN section 5): its tables, the events it handles, and how a batch of them changes its rows. */
export interface Projection {
  /** Also the key of its checkpoint; snake_case, as analysts see it. */
  name: string;
  version: number;
  handles: readonly string[];
  /** Create and upgrade its tables in the read_models schema. */
  migrations: readonly Migration[];
  /** Emptied, in this order, before a rebuild replays the log from the start. */
  tables: readonly string[];
  /** Runs inside the transaction that also advances the checkpoint; gets only the handled events, in log order. */
  apply(client: PoolClient, events: RecordedEvent[]): Promise<void>;
}

/**
 * The SQL of `read_models.<name>_apply(p_events jsonb)`: applies a batch of events in order in one round trip
 * instead of one per event. Each element is {customerId, type, data, occurredAt}; `cases` are the WHEN branches on
 * the type, with `e` (the element), `c` (customer id), `d` (data) and `at` (occurredAt) in scope; any other type
 * raises, so an event the projection says it handles can never be skipped in silence.
 */
export const batchApplyFunction = (name: string, cases: string): string => `
CREATE OR REPLACE FUNCTION read_models.${name}_apply(p_events jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  e  jsonb;
  d  jsonb;
  c  text;
  at timestamptz;
BEGIN
  FOR e IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    c := e->>'customerId';
    d := e->'data';
    at := (e->>'occurredAt')::timestamptz;
    CASE e->>'type'
${cases.replace(/^\n+|\s+$/g, '')}
      ELSE
        RAISE EXCEPTION '${name} cannot apply %', e->>'type';
    END CASE;
  END LOOP;
END
$fn$;
`;
