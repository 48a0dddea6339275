import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { campaignDecider, campaignStreamId, type CampaignCommand } from '../../libs/domain/src';
import { handleCommand, type EventMetadata, type EventStore, type KeyedQueue } from '../../libs/event-store/src';
import { assignAudience, type AssignmentRun } from './assign-audience';

export interface CampaignAnswer {
  campaignId: string;
  version: number;
  /** Global position of the last event written (after a launch, the last assignment's); null when nothing was. */
  position: number | null;
  /** After a launch: who was assigned, and how long it took. */
  assignment?: Omit<AssignmentRun, 'campaignId' | 'status' | 'lastPosition'>;
}

/**
 * Load, decide, append on the campaign's stream; a launch then assigns the audience (the same assignAudience the
 * entrants schedule runs). The HTTP handler and the CLI both run this. A launch retried with its idempotency key
 * gets the first answer for the launch and assigns whoever the first attempt did not reach.
 */
export async function executeCampaignCommand(
  pool: Pool,
  store: EventStore,
  command: CampaignCommand,
  metadata: Omit<EventMetadata, 'eventId' | 'schemaVersion'>,
  options: { queue?: KeyedQueue; now?: () => Date } = {},
): Promise<CampaignAnswer> {
  const { campaignId } = command.data;
  const result = await handleCommand(store, campaignStreamId(campaignId), campaignDecider, command, { metadata, newId: randomUUID, queue: options.queue });
  const answer: CampaignAnswer = { campaignId, version: result.version, position: result.position };
  if (command.type !== 'LaunchCampaign') return answer;
  const { correlationId, actor, source } = metadata;
  const run = await assignAudience(pool, store, campaignId, { now: options.now ?? (() => new Date()), metadata: { correlationId, actor, source } });
  const { campaignId: _id, status: _status, lastPosition, ...assignment } = run;
  return { ...answer, position: lastPosition ?? answer.position, assignment };
}
