import type { CampaignDefinition } from './campaign.events';

type Command<Type extends string, Data> = {
  type: Type;
  data: Data;
  /** ISO 8601 instant the command takes effect (the request's time). */
  occurredAt: string;
};

export type DefineCampaign = Command<'DefineCampaign', { campaignId: string } & CampaignDefinition>;
export type ChangeCampaignDefinition = Command<'ChangeCampaignDefinition', { campaignId: string } & Partial<CampaignDefinition>>;
/** The assignment key is drawn by the caller (the decider draws nothing at random) and recorded with the launch. */
export type LaunchCampaign = Command<'LaunchCampaign', { campaignId: string; assignmentKey: string }>;
export type PauseCampaign = Command<'PauseCampaign', { campaignId: string }>;
export type ResumeCampaign = Command<'ResumeCampaign', { campaignId: string }>;
export type EndCampaign = Command<'EndCampaign', { campaignId: string }>;

export type CampaignCommand = DefineCampaign | ChangeCampaignDefinition | LaunchCampaign | PauseCampaign | ResumeCampaign | EndCampaign;
export type CampaignLifecycleCommand = LaunchCampaign | PauseCampaign | ResumeCampaign | EndCampaign;
