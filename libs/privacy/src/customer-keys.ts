import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { RuleViolated } from '../../domain/src';
import { migrate, routineFiles, type Migration } from '../../postgres/src';

/**
 * One AES-256 data key per customer, outside the log: destroying it is how a customer is forgotten in a log whose
 * events are never rewritten. A forgotten customer's row stays as a tombstone (no key, `forgotten_at` set), so no key
 * can ever be created for them again; the database refuses to change or delete a tombstone.
 *
 * The destroyed key still lives in the dead row version until VACUUM, in the WAL until it is recycled, and in backups
 * until they expire: the backup retention bounds how long an erasure takes to be complete.
 */
export const CUSTOMER_KEYS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'customer data keys',
    sql: `
CREATE SCHEMA IF NOT EXISTS privacy;

CREATE TABLE privacy.customer_keys (
  customer_id  text PRIMARY KEY,
  data_key     bytea,
  created_at   timestamptz NOT NULL DEFAULT now(),
  forgotten_at timestamptz,
  CONSTRAINT customer_keys_key_or_tombstone CHECK ((data_key IS NULL) = (forgotten_at IS NOT NULL)),
  CONSTRAINT customer_keys_aes_256 CHECK (octet_length(data_key) = 32)
);
COMMENT ON TABLE privacy.customer_keys IS 'The data key (AES-256-GCM) each customer''s personal event fields are encrypted with; a forgotten customer''s row is a tombstone without a key.';
`,
    // The trigger runs a routine of customer-keys.sql, so it is created once that is installed.
    afterRoutines: `
CREATE TRIGGER customer_keys_tombstones_are_final BEFORE UPDATE OR DELETE ON privacy.customer_keys
  FOR EACH ROW WHEN (OLD.forgotten_at IS NOT NULL) EXECUTE FUNCTION privacy.customer_keys_tombstones_are_final();
`,
  },
];

export const CUSTOMER_KEYS_ROUTINES = routineFiles(__dirname, 'customer-keys.sql');

/**
 * Personal data was to be written for a customer who has been forgotten. A domain rule (409 customer.forgotten):
 * decide refuses commands on a forgotten customer first, so this is met only by a write racing the forget.
 */
export class CustomerKeyForgotten extends RuleViolated {
  constructor(readonly customerId: string) {
    super('customer.forgotten', `customer ${customerId} was forgotten: their data key is destroyed and is never created again, so nothing personal can be written for them`);
  }
}

/** A customer's key, or null once the customer is forgotten. */
export type DataKey = Buffer | null;

interface KeyRow {
  customer_id: string;
  data_key: Buffer | null;
}

// The INSERT's rows are invisible to the statement's own SELECT, and a key row that already existed is invisible to
// the INSERT's RETURNING: the union gives each wanted customer once.
const GET_OR_CREATE = `
WITH wanted AS (SELECT * FROM unnest($1::text[], $2::bytea[]) AS w(customer_id, data_key)),
created AS (
  INSERT INTO privacy.customer_keys (customer_id, data_key)
  SELECT customer_id, data_key FROM wanted ORDER BY customer_id
  ON CONFLICT (customer_id) DO NOTHING
  RETURNING customer_id, data_key)
SELECT customer_id, data_key FROM created
UNION ALL
SELECT k.customer_id, k.data_key FROM privacy.customer_keys k JOIN wanted w USING (customer_id)`;

/**
 * Keys are read from the table on every call, never cached: a process must not go on decrypting with a key that
 * another process has just destroyed.
 */
export class CustomerKeys {
  constructor(private readonly pool: Pool) {}

  async migrate(): Promise<void> {
    await migrate(this.pool, 'privacy', CUSTOMER_KEYS_MIGRATIONS, CUSTOMER_KEYS_ROUTINES);
  }

  /** The keys to write with, created for customers who have none, in one statement; throws for a forgotten customer. */
  async getOrCreate(customerIds: readonly string[]): Promise<Map<string, Buffer>> {
    const ids = [...new Set(customerIds)];
    const keys = new Map<string, Buffer>();
    // A customer whose key a concurrent transaction created after this statement's snapshot is in neither half of the
    // union: asked again, the committed row is seen.
    for (let attempt = 0; keys.size < ids.length; attempt++) {
      const missing = ids.filter((id) => !keys.has(id));
      if (attempt === 3) throw new Error(`could not get or create the data keys of ${missing.length} customers (e.g. ${missing[0]})`);
      const { rows } = await this.pool.query<KeyRow>(GET_OR_CREATE, [missing, missing.map(() => randomBytes(32))]);
      for (const row of rows) {
        if (row.data_key === null) throw new CustomerKeyForgotten(row.customer_id);
        keys.set(row.customer_id, row.data_key);
      }
    }
    return keys;
  }

  /** The keys to read with, in one query: a Buffer, null for a forgotten customer, absent for one without a key. */
  async load(customerIds: readonly string[]): Promise<Map<string, DataKey>> {
    if (!customerIds.length) return new Map();
    const { rows } = await this.pool.query<KeyRow>('SELECT customer_id, data_key FROM privacy.customer_keys WHERE customer_id = ANY($1::text[])', [
      [...new Set(customerIds)],
    ]);
    return new Map(rows.map((row) => [row.customer_id, row.data_key]));
  }

  /** Destroys the customer's key and leaves the tombstone; a no-op for a customer already forgotten. */
  async forget(customerId: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO privacy.customer_keys AS k (customer_id, data_key, forgotten_at) VALUES ($1, NULL, now())
       ON CONFLICT (customer_id) DO UPDATE SET data_key = NULL, forgotten_at = now() WHERE k.forgotten_at IS NULL`,
      [customerId],
    );
  }
}
