import type { CampaignCommand } from './campaign.commands';
import type { CampaignDefinition, CampaignEvent, CampaignStatus } from './campaign.events';
import { NotFound, RuleViolated } from './domain.errors';

export type CampaignState =
  | { status: 'none' }
  | { status: CampaignStatus; campaignId: string; definition: CampaignDefinition; definedAt: string; launchedAt?: string; assignmentKey?: string };

export const initialCampaignState = (): CampaignState => ({ status: 'none' });

/** Whether an audience names something to select by; a definition may leave it empty until launch. */
export const hasAudienceCriteria = (definition: Pick<CampaignDefinition, 'audience'>): boolean => {
  const { segments, trips } = definition.audience;
  return (segments !== undefined && segments.keys.length > 0) || (trips !== undefined && Object.values(trips).some((value) => value !== undefined));
};

export function evolveCampaign(state: CampaignState, event: CampaignEvent): CampaignState {
  switch (event.type) {
    case 'CampaignDefined': {
      const { campaignId, ...definition } = event.data;
      return { status: 'defined', campaignId, definition, definedAt: event.occurredAt };
    }
    case 'CampaignDefinitionChanged': {
      if (state.status === 'none') return state;
      const { campaignId: _id, ...changes } = event.data;
      return { ...state, definition: { ...state.definition, ...changes } };
    }
    case 'CampaignLaunched':
      return state.status === 'none' ? state : { ...state, status: 'running', launchedAt: event.occurredAt, assignmentKey: event.data.assignmentKey };
    case 'CampaignPaused':
      return state.status === 'none' ? state : { ...state, status: 'paused' };
    case 'CampaignResumed':
      return state.status === 'none' ? state : { ...state, status: 'running' };
    case 'CampaignEnded':
      return state.status === 'none' ? state : { ...state, status: 'ended' };
    default: {
      const _exhaustive: never = event;
      void _exhaustive;
      return state;
    }
  }
}

type Defined = Exclude<CampaignState, { status: 'none' }>;

function requireDefined(state: CampaignState, campaignId: string): Defined {
  if (state.status === 'none') throw new NotFound('campaign', campaignId);
  if (state.status === 'ended') throw new RuleViolated('campaign.ended', `campaign ${campaignId} has ended: nothing can be done with it any more`);
  return state;
}

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The life of a campaign: defined once; changed until it ends (the holdout share only before launch, so the arms
 * measured are the arms assigned); launched once, with an audience; paused while running, resumed while paused;
 * ended once. Takes commands the parser made (campaign.parse.ts).
 */
export function decideCampaign(command: CampaignCommand, state: CampaignState): CampaignEvent[] {
  const { campaignId } = command.data;
  const at = command.occurredAt;
  switch (command.type) {
    case 'DefineCampaign':
      if (state.status !== 'none') throw new RuleViolated('campaign.define-once', `campaign ${campaignId} is already defined`);
      return [{ type: 'CampaignDefined', data: command.data, occurredAt: at }];
    case 'ChangeCampaignDefinition': {
      const current = requireDefined(state, campaignId);
      const { campaignId: _id, ...requested } = command.data;
      const changed = Object.fromEntries(
        Object.entries(requested).filter(([field, value]) => value !== undefined && !sameValue(value, current.definition[field as keyof CampaignDefinition])),
      ) as Partial<CampaignDefinition>;
      if (changed.holdoutShare !== undefined && current.status !== 'defined') {
        throw new RuleViolated('campaign.holdout-fixed-after-launch', `campaign ${campaignId} was launched: its holdout share stays ${current.definition.holdoutShare}`);
      }
      if (changed.audience !== undefined && current.status !== 'defined' && !hasAudienceCriteria({ audience: changed.audience })) {
        // An empty audience would make the entrants schedule take every customer (with consent) in.
        throw new RuleViolated('campaign.audience-required', `campaign ${campaignId} was launched: its audience must name a segment or a trip filter`);
      }
      if (!Object.keys(changed).length) return [];
      return [{ type: 'CampaignDefinitionChanged', data: { campaignId, ...changed }, occurredAt: at }];
    }
    case 'LaunchCampaign': {
      const current = requireDefined(state, campaignId);
      if (current.status !== 'defined') throw new RuleViolated('campaign.launch-once', `campaign ${campaignId} was launched at ${current.launchedAt}`);
      if (!hasAudienceCriteria(current.definition)) {
        throw new RuleViolated('campaign.audience-required', `campaign ${campaignId} names no segment and no trip filter: define its audience before launch`);
      }
      return [{ type: 'CampaignLaunched', data: { campaignId, assignmentKey: command.data.assignmentKey }, occurredAt: at }];
    }
    case 'PauseCampaign': {
      const current = requireDefined(state, campaignId);
      if (current.status !== 'running') throw new RuleViolated('campaign.pause-when-running', `campaign ${campaignId} is ${current.status}, not running`);
      return [{ type: 'CampaignPaused', data: { campaignId }, occurredAt: at }];
    }
    case 'ResumeCampaign': {
      const current = requireDefined(state, campaignId);
      if (current.status !== 'paused') throw new RuleViolated('campaign.resume-when-paused', `campaign ${campaignId} is ${current.status}, not paused`);
      return [{ type: 'CampaignResumed', data: { campaignId }, occurredAt: at }];
    }
    case 'EndCampaign':
      requireDefined(state, campaignId);
      return [{ type: 'CampaignEnded', data: { campaignId }, occurredAt: at }];
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown campaign command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

export const campaignDecider = {
  initialState: initialCampaignState,
  evolve: evolveCampaign,
  decide: decideCampaign,
  /** The campaign id is the stream's: defining the same campaign again gets the first answer, other content the conflict. */
  creationOf: (command: CampaignCommand, history: readonly unknown[]): number => (command.type === 'DefineCampaign' && history.length > 0 ? 0 : -1),
};
