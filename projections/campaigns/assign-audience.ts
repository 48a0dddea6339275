import type { Pool } from 'pg';
import { assignmentKeyObject, armOf } from '../../libs/campaigns/src';
import { campaignDecider, campaignStreamId, customerStreamId, hasAudienceCriteria, type CampaignArmAssigned } from '../../libs/domain/src';
import { fold, uuidFrom, WrongExpectedVersion, type EventMetadata, type EventStore, type StreamAppend } from '../../libs/event-store/src';
import { withClient } from '../../libs/postgres/src';
import { audienceMembers } from './campaign-audience.queries';

/** Customers per appendBatch: one transaction each, so a conflict with a customer's own command retries this many. */
const BATCH = 5_000;
const MAX_ATTEMPTS = 5;

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
  /** Global position of the last assignment written (a read of the campaign read model past it sees them all); null when none was. */
  lastPosition: number | null;
}

export interface AssignOptions {
  now: () => Date;
  /** Who assigns (the manager who launched, or the engine's schedule) and on which request. */
  metadata: Omit<EventMetadata, 'eventId' | 'schemaVersion' | 'causationId'>;
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
      // Never an empty audience (the decider refuses one after launch): the query would take every customer in.
      if (state.status !== 'running' || state.assignmentKey === undefined || !hasAudienceCriteria(state.definition)) return { ...run, durationMs: Date.now() - started };
      const launched = history.find((event) => event.type === 'CampaignLaunched')!;
      const key = assignmentKeyObject(state.assignmentKey);
      const { definition } = state;
      const members = await audienceMembers(client, definition.audience, { asOf, notAssignedTo: campaignId });
      run.audience = members.length;
      const metadata = { ...options.metadata, causationId: launched.eventId, schemaVersion: 1 };
      let lastStream: string | undefined;
      for (let start = 0; start < members.length; start += BATCH) {
        const slice = members.slice(start, start + BATCH);
        for (let attempt = 1; ; attempt++) {
          const ids = slice.map((customerId) => assignmentEventId(campaignId, customerId));
          const stored = await storedEventIds(pool, store, ids, slice);
          const appends: StreamAppend[] = [];
          let control = 0;
          slice.forEach((customerId, i) => {
            if (stored.has(ids[i])) return;
            const arm = armOf(key, campaignId, customerId, definition.holdoutShare);
            if (arm === 'control') control++;
            const data: CampaignArmAssigned['data'] = { campaignId, arm, channel: definition.channel, contentHints: definition.contentHints, sendWindow: definition.sendWindow };
            appends.push({
              streamId: customerStreamId(customerId),
              events: [{ eventId: ids[i], type: 'CampaignArmAssigned', data, metadata, occurredAt: asOf }],
              expectedVersion: 'stream_exists',
            });
          });
          try {
            if (!appends.length) break;
            await store.appendBatch(appends);
            run.assigned += appends.length;
            run.control += control;
            run.treatment += appends.length - control;
            if (appends.length) lastStream = appends[appends.length - 1].streamId;
            break;
          } catch (error) {
            // A customer's own command took the stream position this batch read: read again and redo the batch.
            if (!(error instanceof WrongExpectedVersion) || attempt >= MAX_ATTEMPTS) throw error;
          }
        }
      }
      if (lastStream) {
        // Batches commit one after another, so the last one's event is the highest of this run's (or a later event there).
        const [last] = await store.readStream(lastStream, { direction: 'backward', limit: 1 });
        run.lastPosition = last?.globalPosition ?? null;
      }
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
