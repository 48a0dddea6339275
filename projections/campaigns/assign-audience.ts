import type { Pool } from 'pg';
import { assignmentKeyObject, armOf } from '../../libs/campaigns/src';
import { campaignDecider, campaignStreamId, customerStreamId, hasAudienceCriteria, type CampaignArm, type CampaignArmAssigned } from '../../libs/domain/src';
import { compareCheckpoints, fold, uuidFrom, WrongExpectedVersion, type Checkpoint, type EventMetadata, type EventStore, type StreamAppend } from '../../libs/event-store/src';
import { withClient } from '../../libs/postgres/src';
import { audienceMembers } from './campaign-audience.queries';

/** Customers per appendBatch: one transaction each, so a conflict with a customer's own command retries this many. */
const BATCH = 5_000;
const MAX_ATTEMPTS = 5;
/**
 * Batches in flight at once (each its own transaction on its own connection, on disjoint customers). The append is
 * nearly all of a launch's time: 30,000 assignments took 7.8 s one batch at a time, 5.3 s two and 4.2-5.7 s three
 * at once (2 cores at load 7-8 from other work; the audience query 0.5-0.7 s, the hashes 0.46 s, the id lookups 0.28 s).
 */
const CONCURRENCY = 3;

/**
 * The id of a customer's assignment to a campaign: a function of the two ids, so a customer is assigned once per
 * campaign whoever runs the assignment and however often (the store's event-id uniqueness stops a second one).
 */
export const assignmentEventId = (campaignId: string, customerId: string): string => uuidFrom(`campaign-arm:${campaignId}:${customerId}`);

export interface AssignmentRun {
  campaignId: string;
  /** The campaign's status in its stream; only a running campaign assigns. */
  status: string;
  asOf: string;
  audience: number;
  assigned: number;
  treatment: number;
  control: number;
  durationMs: number;
  /**
   * Global position of the assignment written last in the log's read order (a read of a read model past it sees
   * them all); null when none was. Not the highest position: batches in flight at once draw positions side by side,
   * and the log is read in transaction order.
   */
  lastPosition: number | null;
}

export interface AssignOptions {
  now: () => Date;
  /** Who assigns (the manager who launched, or the engine's schedule) and on which request. */
  metadata: Omit<EventMetadata, 'eventId' | 'schemaVersion' | 'causationId'>;
  /** Batches in flight at once (default 3). */
  concurrency?: number;
  /** Customers per batch (default 5,000). */
  batchSize?: number;
}

/**
 * Puts every audience member of a running campaign who has no arm yet into one (the keyed hash of the launch's
 * key), recording CampaignArmAssigned in their streams, in batches. Launch and the entrants schedule both call it,
 * one at a time per campaign (a session lock). Who has an arm is read from the campaign_assignments read model and
 * then from the log itself by the derived event ids, so a run right after another, before the projector caught up,
 * writes nothing twice.
 */
export async function assignAudience(pool: Pool, store: EventStore, campaignId: string, options: AssignOptions): Promise<AssignmentRun> {
  const started = Date.now();
  const lock = `campaign-assignment:${campaignId}`;
  return withClient(pool, async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 18))', [lock]);
    try {
      const history = await store.readStream(campaignStreamId(campaignId));
      const state = fold(campaignDecider, history);
      const asOf = options.now().toISOString();
      const run: AssignmentRun = { campaignId, status: state.status, asOf, audience: 0, assigned: 0, treatment: 0, control: 0, durationMs: 0, lastPosition: null };
      let lastCheckpoint: Checkpoint | null = null;
      // Never an empty audience (the decider refuses one after launch): the query would take every customer in.
      if (state.status !== 'running' || state.assignmentKey === undefined || !hasAudienceCriteria(state.definition)) return { ...run, durationMs: Date.now() - started };
      const launched = history.find((event) => event.type === 'CampaignLaunched')!;
      const key = assignmentKeyObject(state.assignmentKey);
      const { definition } = state;
      const members = await audienceMembers(client, definition.audience, { asOf, notAssignedTo: campaignId });
      run.audience = members.length;
      const metadata = { ...options.metadata, causationId: launched.eventId, schemaVersion: 1 };
      const data = (arm: CampaignArm): CampaignArmAssigned['data'] => ({ campaignId, arm, channel: definition.channel, contentHints: definition.contentHints, sendWindow: definition.sendWindow });
      /** One batch: what the log lacks of it, in one appendBatch; redone when a customer's own command took a stream position it read. */
      const assignBatch = async (slice: string[]): Promise<void> => {
        for (let attempt = 1; ; attempt++) {
          const ids = slice.map((customerId) => assignmentEventId(campaignId, customerId));
          const stored = await storedEventIds(pool, store, ids, slice);
          const appends: StreamAppend[] = [];
          let control = 0;
          slice.forEach((customerId, i) => {
            if (stored.has(ids[i])) return;
            const arm = armOf(key, campaignId, customerId, definition.holdoutShare);
            if (arm === 'control') control++;
            appends.push({
              streamId: customerStreamId(customerId),
              events: [{ eventId: ids[i], type: 'CampaignArmAssigned', data: data(arm), metadata, occurredAt: asOf }],
              expectedVersion: 'stream_exists',
            });
          });
          if (!appends.length) return;
          try {
            await store.appendBatch(appends);
          } catch (error) {
            if (!(error instanceof WrongExpectedVersion) || attempt >= MAX_ATTEMPTS) throw error;
            continue;
          }
          run.assigned += appends.length;
          run.control += control;
          run.treatment += appends.length - control;
          // One batch is one transaction, whose events take positions in order: its last is its latest (or a later
          // event of that stream). Of the batches, the latest in the log's read order, which is not always the one
          // with the highest position (a launch to 100,000 was reported projected with 3,564 sends still to come).
          const [last] = await store.readStream(appends[appends.length - 1].streamId, { direction: 'backward', limit: 1 });
          if (last && (lastCheckpoint === null || compareCheckpoints(last.checkpoint, lastCheckpoint) > 0)) {
            lastCheckpoint = last.checkpoint;
            run.lastPosition = last.globalPosition;
          }
          return;
        }
      };
      const batches: string[][] = [];
      const size = options.batchSize ?? BATCH;
      for (let start = 0; start < members.length; start += size) batches.push(members.slice(start, start + size));
      // A few batches in flight: one is hashed and written into COPY while the database links another into the log.
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < batches.length) await assignBatch(batches[next++]);
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency ?? CONCURRENCY, batches.length) }, worker));
      return { ...run, durationMs: Date.now() - started };
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 18))', [lock]).catch(() => undefined);
    }
  });
}

/**
 * Which of these event ids (of these customers) the log already holds. From the PostgreSQL store's table and its
 * unique event-id index, one query per batch, because the port has no lookup by id; a log kept elsewhere
 * (EventStoreDB, where that table does not exist) is asked stream by stream instead.
 */
async function storedEventIds(pool: Pool, store: EventStore, ids: string[], customerIds: string[]): Promise<Set<string>> {
  try {
    const { rows } = await pool.query<{ event_id: string }>('SELECT event_id::text FROM event_store.events WHERE event_id = ANY($1::uuid[])', [ids]);
    return new Set(rows.map((row) => row.event_id));
  } catch (error) {
    if ((error as { code?: string }).code !== '42P01') throw error;
    const histories = await store.readStreams(customerIds.map(customerStreamId));
    const wanted = new Set(ids);
    return new Set([...histories.values()].flatMap((history) => history.map((event) => event.eventId).filter((id) => wanted.has(id))));
  }
}

/** The campaigns a schedule looks at for entrants: those running now, as the read model shows them. */
export async function runningCampaigns(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ campaign_id: string }>(`SELECT campaign_id FROM read_models.campaigns WHERE status = 'running' ORDER BY campaign_id`);
  return rows.map((row) => row.campaign_id);
}
