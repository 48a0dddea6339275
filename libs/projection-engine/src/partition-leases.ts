import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Client, type Pool } from 'pg';
import { inClientTransaction, type Migration } from '../../postgres/src';
import { PARTITIONS } from './partitions';
import { poll, type PollOptions } from './polling';

export const LEASE_MIGRATIONS: Migration[] = [
  {
    version: 2,
    name: 'partition leases and the leader lease',
    sql: `
CREATE TABLE IF NOT EXISTS projector.members (
  id           text PRIMARY KEY,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL
);
-- partition -1 is the leader's lease: what cannot be partitioned (whole-population evaluations) runs there.
CREATE TABLE IF NOT EXISTS projector.leases (
  partition  int PRIMARY KEY,
  owner      text,
  expires_at timestamptz NOT NULL DEFAULT '-infinity'
);`,
  },
  {
    version: 3,
    name: 'members present through a session named after them',
    sql: `ALTER TABLE projector.members ADD COLUMN IF NOT EXISTS present boolean NOT NULL DEFAULT false;`,
  },
];

const LEADER = -1;

/** Every lease id of this process begins with it, whichever thread holds the leases. */
const PROCESS_PREFIX = `${hostname().slice(0, 40)}:${process.pid}:`;

/**
 * Whether this process's projector, in whichever of its threads, holds the leader's lease: the schedules that look
 * at the whole population run in a thread of their own and ask the database (they run where the projector leads).
 */
export async function processLeads(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ leads: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM projector.leases WHERE partition = ${LEADER} AND expires_at > now() AND left(owner, length($1)) = $1) AS leads`,
    [PROCESS_PREFIX],
  );
  return rows[0].leads;
}

/** A lease anyone may take: given back, expired, or its owner is gone (no longer a member). */
const FREE = `owner IS NULL OR expires_at < now() OR NOT EXISTS (SELECT 1 FROM projector.members m WHERE m.id = owner)`;

export interface LeaseOptions {
  /** How often a process renews its leases and rebalances (default 2 s). */
  heartbeatMs?: number;
  /** How long a lease outlives its owner's last heartbeat (default 10 s): a dead process's partitions are taken over after it. */
  ttlMs?: number;
  log?: (line: string) => void;
}

export interface LeaseOwner {
  /** -1 is the leader's lease. */
  partition: number;
  /** Null while nobody holds it (given back, or its owner's lease expired). */
  owner: string | null;
  expiresAt: string | null;
}

/**
 * The partitions this projector process works on, through leases in PostgreSQL (issue 16). Every heartbeat it
 * renews its leases and takes its fair share, ceil(partitions / live processes): it gives back what is over, and
 * takes free or expired leases while it has fewer, so a joining process gets work within a heartbeat or two. One
 * process also holds the leader's lease. Leases only share the work: what makes each event take effect once is the
 * locked checkpoint each batch compares.
 *
 * A process is present through a session of its own named after it (application_name). A killed process's sessions
 * end with it, so the others take its leases at their next heartbeat; the TTL is left for a process that hangs with
 * its sessions open. (With the TTL alone, a takeover took 10.4 s quiet and 17.4-18.2 s in loaded CI runs.)
 */
export class PartitionLeases {
  /** At most 63 bytes, PostgreSQL's limit for an application_name. */
  readonly id = `${PROCESS_PREFIX}${randomBytes(3).toString('hex')}`;
  private presence?: Client;
  private mine: readonly number[] = [];
  private leading = false;
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly pool: Pool,
    options: LeaseOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 2_000;
    this.ttlMs = options.ttlMs ?? 10_000;
    this.log = options.log ?? (() => undefined);
  }

  /** The partitions this process holds leases on, as of the last heartbeat. */
  owned(): readonly number[] {
    return this.mine;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * This process's presence session, opened if it has none (the first heartbeat, or the last one was lost). The
   * heartbeats run on it too: on the pool they waited behind the projection batches for a connection, seconds in a
   * loaded CI run.
   */
  private async present(): Promise<Client> {
    if (this.presence) return this.presence;
    const { connectionString, ...options } = this.pool.options;
    const url = connectionString && URL.canParse(connectionString) ? new URL(connectionString) : undefined;
    // A connection string's own application_name would win over the option, so it is replaced there.
    url?.searchParams.set('application_name', this.id);
    const client = new Client({ ...options, connectionString: url?.toString() ?? connectionString, application_name: this.id });
    const lost = (): void => {
      if (this.presence === client) this.presence = undefined;
    };
    client.on('error', lost).on('end', lost);
    this.presence = client;
    try {
      await client.connect();
    } catch (error) {
      lost();
      throw error;
    }
    return client;
  }

  private async absent(): Promise<void> {
    const client = this.presence;
    this.presence = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Renews, gives back and takes leases once; returns the partitions held after it. */
  async heartbeat(): Promise<readonly number[]> {
    const ttl = `${this.ttlMs} milliseconds`;
    const { partitions, leading } = await inClientTransaction(await this.present(), async (client) => {
      await client.query(
        `INSERT INTO projector.leases (partition) SELECT p FROM generate_series(-1, $1::int - 1) p ON CONFLICT (partition) DO NOTHING`,
        [PARTITIONS],
      );
      await client.query(
        `INSERT INTO projector.members (id, heartbeat_at, present) VALUES ($1, now(), true) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), present = true`,
        [this.id],
      );
      // Gone: no heartbeat within the TTL, or its presence session ended (a process from before presence has none).
      await client.query(
        `DELETE FROM projector.members m WHERE m.heartbeat_at < now() - $1::interval
            OR (m.present AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = m.id))`,
        [ttl],
      );
      const live = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM projector.members')).rows[0].n;
      const share = Math.ceil(PARTITIONS / Math.max(1, live));
      const held = (
        await client.query<{ partition: number }>(
          `UPDATE projector.leases SET expires_at = now() + $2::interval WHERE owner = $1 AND partition >= 0 RETURNING partition`,
          [this.id, ttl],
        )
      ).rows.map((row) => row.partition);
      held.sort((a, b) => a - b);
      if (held.length > share) {
        const over = held.splice(share);
        await client.query(`UPDATE projector.leases SET owner = NULL, expires_at = '-infinity' WHERE owner = $1 AND partition = ANY($2)`, [this.id, over]);
      } else if (held.length < share) {
        const taken = await client.query<{ partition: number }>(
          `UPDATE projector.leases SET owner = $1, expires_at = now() + $3::interval
            WHERE partition IN (SELECT partition FROM projector.leases WHERE partition >= 0 AND (${FREE})
                                 ORDER BY partition LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING partition`,
          [this.id, share - held.length, ttl],
        );
        held.push(...taken.rows.map((row) => row.partition));
      }
      const leader = await client.query(
        `UPDATE projector.leases SET owner = $1, expires_at = now() + $2::interval
          WHERE partition = ${LEADER} AND (owner = $1 OR ${FREE}) RETURNING partition`,
        [this.id, ttl],
      );
      return { partitions: held.sort((a, b) => a - b), leading: (leader.rowCount ?? 0) > 0 };
    });
    if (partitions.join() !== this.mine.join()) this.log(`projector ${this.id}: partitions ${partitions.join(', ') || 'none'} (of ${PARTITIONS})`);
    if (leading !== this.leading) this.log(`projector ${this.id}: ${leading ? 'leads' : 'no longer leads'} (whole-population evaluations)`);
    this.mine = partitions;
    this.leading = leading;
    return partitions;
  }

  /** Gives back every lease and leaves, so the others take over at their next heartbeat instead of after the TTL. */
  async release(): Promise<void> {
    this.mine = [];
    this.leading = false;
    try {
      await this.pool.query(`UPDATE projector.leases SET owner = NULL, expires_at = '-infinity' WHERE owner = $1`, [this.id]);
      await this.pool.query('DELETE FROM projector.members WHERE id = $1', [this.id]);
    } finally {
      await this.absent();
    }
  }

  /** Heartbeats until the signal aborts, then gives the leases back. */
  async run(signal: AbortSignal, availability?: PollOptions['availability']): Promise<void> {
    await poll(async () => void (await this.heartbeat()), { pollMs: this.heartbeatMs, maxBackoffMs: this.heartbeatMs, what: 'renewing partition leases', log: this.log, availability }, signal);
    await this.release().catch((error: unknown) => this.log(`giving back partition leases: ${error instanceof Error ? error.message : String(error)} (they expire in ${this.ttlMs / 1000} s)`));
  }
}

/** Every lease with its owner, for status. */
export async function leaseOwners(pool: Pool): Promise<LeaseOwner[]> {
  const { rows } = await pool.query<{ partition: number; owner: string | null; expires_at: Date | null }>(
    `SELECT partition, owner, expires_at FROM (SELECT partition, CASE WHEN expires_at > now() THEN owner END AS owner,
            CASE WHEN expires_at > now() THEN expires_at END AS expires_at FROM projector.leases) l ORDER BY partition`,
  );
  return rows.map((row) => ({ partition: row.partition, owner: row.owner, expiresAt: row.expires_at?.toISOString() ?? null }));
}
