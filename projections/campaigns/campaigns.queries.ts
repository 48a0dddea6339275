import type { Pool } from 'pg';
import type { CampaignDefinition, CampaignStatus } from '../../libs/domain/src';
import { isoInstantSql } from '../../libs/projection-engine/src';

export interface CampaignView {
  campaignId: string;
  name: string;
  status: CampaignStatus;
  definition: CampaignDefinition;
  definedAt: string;
  launchedAt: string | null;
  pausedAt: string | null;
  endedAt: string | null;
  /** Customers assigned to each arm so far (drops for consent or erasure are counted by the results, not here). */
  arms: { treatment: number; control: number };
}

const SELECT = `
SELECT c.campaign_id, c.name, c.status, c.definition,
       ${isoInstantSql('c.defined_at')} AS defined_at, ${isoInstantSql('c.launched_at')} AS launched_at,
       ${isoInstantSql('c.paused_at')} AS paused_at, ${isoInstantSql('c.ended_at')} AS ended_at,
       coalesce(a.treatment, 0)::int AS treatment, coalesce(a.control, 0)::int AS control
  FROM read_models.campaigns c
  LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE arm = 'treatment') AS treatment, count(*) FILTER (WHERE arm = 'control') AS control
      FROM read_models.campaign_assignments WHERE campaign_id = c.campaign_id
  ) a ON true`;

interface Row {
  campaign_id: string;
  name: string;
  status: CampaignStatus;
  definition: CampaignDefinition;
  defined_at: string;
  launched_at: string | null;
  paused_at: string | null;
  ended_at: string | null;
  treatment: number;
  control: number;
}

const viewOf = (row: Row): CampaignView => ({
  campaignId: row.campaign_id,
  name: row.name,
  status: row.status,
  definition: row.definition,
  definedAt: row.defined_at,
  launchedAt: row.launched_at,
  pausedAt: row.paused_at,
  endedAt: row.ended_at,
  arms: { treatment: row.treatment, control: row.control },
});

/** Campaigns, newest definition first; optionally only those in one status. */
export async function listCampaigns(pool: Pool, options: { status?: CampaignStatus; limit: number }): Promise<CampaignView[]> {
  const { rows } = await pool.query<Row>(`${SELECT} WHERE ($1::text IS NULL OR c.status = $1) ORDER BY c.defined_at DESC, c.campaign_id LIMIT $2`, [
    options.status ?? null,
    options.limit,
  ]);
  return rows.map(viewOf);
}

export async function campaignView(pool: Pool, campaignId: string): Promise<CampaignView | null> {
  const { rows } = await pool.query<Row>(`${SELECT} WHERE c.campaign_id = $1`, [campaignId]);
  return rows[0] ? viewOf(rows[0]) : null;
}
