import { CAMPAIGN_EVENT_TYPES, CAMPAIGN_STREAM_PREFIX, CUSTOMER_STREAM_PREFIX, type CampaignEvent } from '../../libs/domain/src';
import type { RecordedEvent } from '../../libs/event-store/src';
import type { Projection } from '../../libs/projection-engine/src';
import type { PoolClient } from 'pg';
import { CAMPAIGNS_MIGRATIONS } from './campaigns.migrations';

const ASSIGN = `
INSERT INTO read_models.campaign_assignments (campaign_id, customer_id, arm, assigned_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
ON CONFLICT (campaign_id, customer_id) DO NOTHING`;

/**
 * Campaign events change one row each, in log order (a campaign has a handful of events); arm assignments, which
 * come by the hundred thousand at a launch, go in with one statement per batch. A customer is assigned once per
 * campaign (the event id is derived from both), so a conflict can only be that same assignment.
 */
async function applyCampaignEvent(client: PoolClient, event: CampaignEvent): Promise<void> {
  const at = event.occurredAt;
  const id = event.data.campaignId;
  switch (event.type) {
    case 'CampaignDefined': {
      const { campaignId: _id, ...definition } = event.data;
      await client.query(
        `INSERT INTO read_models.campaigns (campaign_id, name, definition, status, defined_at) VALUES ($1, $2, $3, 'defined', $4)`,
        [id, definition.name, JSON.stringify(definition), at],
      );
      return;
    }
    case 'CampaignDefinitionChanged': {
      const { campaignId: _id, ...changes } = event.data;
      await client.query(
        `UPDATE read_models.campaigns SET definition = definition || $2::jsonb, name = COALESCE($2::jsonb->>'name', name) WHERE campaign_id = $1`,
        [id, JSON.stringify(changes)],
      );
      return;
    }
    case 'CampaignLaunched':
      await client.query(`UPDATE read_models.campaigns SET status = 'running', launched_at = $2, assignment_key = $3 WHERE campaign_id = $1`, [id, at, event.data.assignmentKey]);
      return;
    case 'CampaignPaused':
      await client.query(`UPDATE read_models.campaigns SET status = 'paused', paused_at = $2 WHERE campaign_id = $1`, [id, at]);
      return;
    case 'CampaignResumed':
      await client.query(`UPDATE read_models.campaigns SET status = 'running', paused_at = NULL WHERE campaign_id = $1`, [id]);
      return;
    case 'CampaignEnded':
      await client.query(`UPDATE read_models.campaigns SET status = 'ended', ended_at = $2 WHERE campaign_id = $1`, [id, at]);
      return;
    default: {
      const _exhaustive: never = event;
      void _exhaustive;
    }
  }
}

/** A withdrawal marks the customer's assignments made before it (in the log) that have no withdrawal yet. */
const WITHDRAWN = `
UPDATE read_models.campaign_assignments SET consent_withdrawn_at = greatest(assigned_at, $2::timestamptz)
 WHERE customer_id = $1 AND consent_withdrawn_at IS NULL`;

/**
 * Campaign definitions and status, who is in which arm, and when a customer in an arm withdrew marketing consent
 * (GET /campaigns, the audience's "not yet assigned", results as of an instant).
 */
export const campaignsProjection: Projection = {
  name: 'campaigns',
  // 2: consent_withdrawn_at (a rebuild fills it for the assignments already made).
  version: 2,
  handles: [...CAMPAIGN_EVENT_TYPES, 'CampaignArmAssigned', 'MarketingConsentChanged'],
  migrations: CAMPAIGNS_MIGRATIONS,
  tables: ['read_models.campaigns', 'read_models.campaign_assignments'],
  async apply(client, events: RecordedEvent[]) {
    // In log order: the assignments waiting for their one statement go in before a withdrawal that may follow them.
    let assigned: RecordedEvent[] = [];
    const assign = async (): Promise<void> => {
      if (!assigned.length) return;
      await client.query(ASSIGN, [
        assigned.map((event) => (event.data as { campaignId: string }).campaignId),
        assigned.map((event) => event.streamId.slice(CUSTOMER_STREAM_PREFIX.length)),
        assigned.map((event) => (event.data as { arm: string }).arm),
        assigned.map((event) => event.occurredAt),
      ]);
      assigned = [];
    };
    for (const event of events) {
      if (event.streamId.startsWith(CAMPAIGN_STREAM_PREFIX)) await applyCampaignEvent(client, event as unknown as CampaignEvent);
      else if (!event.streamId.startsWith(CUSTOMER_STREAM_PREFIX)) continue;
      else if (event.type === 'CampaignArmAssigned') assigned.push(event);
      else if (event.type === 'MarketingConsentChanged' && (event.data as { granted: boolean }).granted === false) {
        await assign();
        await client.query(WITHDRAWN, [event.streamId.slice(CUSTOMER_STREAM_PREFIX.length), event.occurredAt]);
      }
    }
    await assign();
  },
};
