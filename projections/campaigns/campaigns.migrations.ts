import type { Migration } from '../../libs/postgres/src';

export const CAMPAIGNS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'campaigns and their arm assignments',
    sql: `
CREATE SCHEMA IF NOT EXISTS read_models;

CREATE TABLE read_models.campaigns (
  campaign_id    text PRIMARY KEY,
  name           text NOT NULL,
  definition     jsonb NOT NULL,
  status         text NOT NULL CHECK (status IN ('defined', 'running', 'paused', 'ended')),
  defined_at     timestamptz NOT NULL,
  launched_at    timestamptz,
  paused_at      timestamptz,
  ended_at       timestamptz,
  assignment_key text
);
COMMENT ON TABLE read_models.campaigns IS
  'One row per campaign (projection campaigns, from the campaign-<id> streams): its current definition and status.';
COMMENT ON COLUMN read_models.campaigns.definition IS
  'The definition as CampaignDefined gave it with every CampaignDefinitionChanged applied: name, audience, channel, contentHints, sendWindow, holdoutShare, goal, conversionWindowDays (docs/campaigns.md).';
COMMENT ON COLUMN read_models.campaigns.paused_at IS 'When the last pause began; null while running (after a resume) or never paused.';
COMMENT ON COLUMN read_models.campaigns.assignment_key IS 'Hex key of the hash that assigned the arms (CampaignLaunched); null before launch.';

CREATE TABLE read_models.campaign_assignments (
  campaign_id text NOT NULL,
  customer_id text NOT NULL,
  arm         text NOT NULL CHECK (arm IN ('treatment', 'control')),
  assigned_at timestamptz NOT NULL,
  PRIMARY KEY (campaign_id, customer_id)
);
CREATE INDEX campaign_assignments_customer ON read_models.campaign_assignments (customer_id);
COMMENT ON TABLE read_models.campaign_assignments IS
  'One row per customer assigned to a campaign (CampaignArmAssigned in the customer''s stream): treatment or control, at the assignment instant. Drops (consent withdrawn, forgotten) are not removed here: they are read from customer_overview.';
`,
  },
  {
    version: 2,
    name: 'consent withdrawn after the assignment, as an instant',
    sql: `
ALTER TABLE read_models.campaign_assignments ADD COLUMN consent_withdrawn_at timestamptz;
COMMENT ON COLUMN read_models.campaign_assignments.consent_withdrawn_at IS
  'The first MarketingConsentChanged {granted: false} in the customer''s stream after the assignment (not before the assignment instant); null while none. Results as of an instant at or after it drop the customer from both arms when the audience required consent.';
COMMENT ON TABLE read_models.campaign_assignments IS
  'One row per customer assigned to a campaign (CampaignArmAssigned in the customer''s stream): treatment or control, at the assignment instant, and when marketing consent was withdrawn after it. Forgotten customers are read from customer_overview.erased.';
`,
  },
];
