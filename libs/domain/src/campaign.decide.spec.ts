/* Decider specs for the life of a campaign (issue 18): given past events, when a command, then events or the rule. */
import type { CampaignCommand } from './campaign.commands';
import { campaignDecider, type CampaignState } from './campaign.decide';
import type { CampaignDefinition, CampaignEvent } from './campaign.events';
import { parseChangeCampaignDefinition, parseDefineCampaign } from './campaign.parse';
import { deciderSpec } from './decider-spec';
import { InvalidInput, NotFound, RuleViolated } from './domain.errors';

const ID = 'cmp-flight-deal';
const T = '2026-03-01T09:00:00.000Z';
const KEY = 'ab'.repeat(32);

const body = {
  name: 'Flight deal to Lisbon',
  audience: { trips: { productTypes: ['flight'], withinMonths: 24 } },
  channel: 'sms',
  contentHints: ['mention the Lisbon fares'],
  sendWindow: { from: '2026-03-02T08:00:00Z', until: '2026-03-09T20:00:00Z' },
  holdoutShare: 0.1,
  goal: { kind: 'booking' },
  conversionWindowDays: 30,
};

const definition: CampaignDefinition = {
  name: 'Flight deal to Lisbon',
  audience: { trips: { productTypes: ['flight'], withinMonths: 24 }, requireMarketingConsent: true },
  channel: 'sms',
  contentHints: ['mention the Lisbon fares'],
  sendWindow: { from: '2026-03-02T08:00:00.000Z', until: '2026-03-09T20:00:00.000Z' },
  holdoutShare: 0.1,
  goal: { kind: 'booking' },
  conversionWindowDays: 30,
};

const defined: CampaignEvent = { type: 'CampaignDefined', data: { campaignId: ID, ...definition }, occurredAt: T };
const draft: CampaignEvent = { type: 'CampaignDefined', data: { campaignId: ID, ...definition, audience: { requireMarketingConsent: true } }, occurredAt: T };
const launched: CampaignEvent = { type: 'CampaignLaunched', data: { campaignId: ID, assignmentKey: KEY }, occurredAt: T };
const paused: CampaignEvent = { type: 'CampaignPaused', data: { campaignId: ID }, occurredAt: T };
const resumed: CampaignEvent = { type: 'CampaignResumed', data: { campaignId: ID }, occurredAt: T };
const ended: CampaignEvent = { type: 'CampaignEnded', data: { campaignId: ID }, occurredAt: T };

const given = deciderSpec<CampaignCommand, CampaignEvent, CampaignState>(campaignDecider);

const define = (raw: Record<string, unknown> = body): CampaignCommand => {
  const parsed = parseDefineCampaign({ campaignId: ID, ...raw }, { campaignId: 'unused', occurredAt: T });
  if (!parsed.ok) throw parsed.error;
  return parsed.command;
};
const change = (raw: Record<string, unknown>): CampaignCommand => {
  const parsed = parseChangeCampaignDefinition(ID, raw, T);
  if (!parsed.ok) throw parsed.error;
  return parsed.command;
};
const launch: CampaignCommand = { type: 'LaunchCampaign', data: { campaignId: ID, assignmentKey: KEY }, occurredAt: T };
const pause: CampaignCommand = { type: 'PauseCampaign', data: { campaignId: ID }, occurredAt: T };
const resume: CampaignCommand = { type: 'ResumeCampaign', data: { campaignId: ID }, occurredAt: T };
const end: CampaignCommand = { type: 'EndCampaign', data: { campaignId: ID }, occurredAt: T };

describe('DefineCampaign', () => {
  it('defines a campaign, consent required by default and instants in UTC', () => {
    given([]).when(define()).then([defined]);
  });

  it('refuses to define the same campaign twice', () => {
    given([defined]).when(define()).thenThrows(RuleViolated, { rule: 'campaign.define-once' });
  });

  it('takes a definition without an audience as a draft', () => {
    const { audience: _audience, ...rest } = body;
    given([]).when(define(rest)).then([draft]);
  });
});

describe('LaunchCampaign', () => {
  it('launches a defined campaign with the key it was given', () => {
    given([defined]).when(launch).then([launched]);
  });

  it('refuses a launch without an audience', () => {
    given([draft]).when(launch).thenThrows(RuleViolated, { rule: 'campaign.audience-required' });
  });

  it('refuses a second launch, running or paused', () => {
    given([defined, launched]).when(launch).thenThrows(RuleViolated, { rule: 'campaign.launch-once' });
    given([defined, launched, paused]).when(launch).thenThrows(RuleViolated, { rule: 'campaign.launch-once' });
  });

  it('is NotFound for a campaign never defined', () => {
    given([]).when(launch).thenThrows(NotFound, { entity: 'campaign' });
  });
});

describe('ChangeCampaignDefinition', () => {
  it('records only the fields that change', () => {
    given([defined])
      .when(change({ name: 'Flight deal to Porto', channel: 'sms' }))
      .then([{ type: 'CampaignDefinitionChanged', data: { campaignId: ID, name: 'Flight deal to Porto' }, occurredAt: T }]);
  });

  it('changes nothing when nothing differs', () => {
    given([defined]).when(change({ holdoutShare: 0.1 })).thenNothingHappens();
  });

  it('changes the holdout share before launch', () => {
    given([defined]).when(change({ holdoutShare: 0.2 })).then([{ type: 'CampaignDefinitionChanged', data: { campaignId: ID, holdoutShare: 0.2 }, occurredAt: T }]);
  });

  it('refuses a change of the holdout share after launch, paused or not', () => {
    given([defined, launched]).when(change({ holdoutShare: 0.2 })).thenThrows(RuleViolated, { rule: 'campaign.holdout-fixed-after-launch' });
    given([defined, launched, paused]).when(change({ holdoutShare: 0.2 })).thenThrows(RuleViolated, { rule: 'campaign.holdout-fixed-after-launch' });
  });

  it('refuses to empty the audience of a launched campaign', () => {
    given([defined, launched]).when(change({ audience: { requireMarketingConsent: false } })).thenThrows(RuleViolated, { rule: 'campaign.audience-required' });
  });

  it('changes other fields of a running campaign', () => {
    given([defined, launched])
      .when(change({ contentHints: ['new fares'] }))
      .then([{ type: 'CampaignDefinitionChanged', data: { campaignId: ID, contentHints: ['new fares'] }, occurredAt: T }]);
  });

  it('lets a draft get its audience, and then launch', () => {
    const audience = { segments: { match: 'any', keys: ['lifecycle:lapsed'] } };
    const changed: CampaignEvent = {
      type: 'CampaignDefinitionChanged',
      data: { campaignId: ID, audience: { segments: { match: 'any', keys: ['lifecycle:lapsed'] }, requireMarketingConsent: true } },
      occurredAt: T,
    };
    given([draft]).when(change({ audience })).then([changed]);
    given([draft, changed]).when(launch).then([launched]);
  });
});

describe('pause, resume and end', () => {
  it('pauses a running campaign and resumes it', () => {
    given([defined, launched]).when(pause).then([paused]);
    given([defined, launched, paused]).when(resume).then([resumed]);
  });

  it('pauses only a running campaign', () => {
    given([defined]).when(pause).thenThrows(RuleViolated, { rule: 'campaign.pause-when-running' });
    given([defined, launched, paused]).when(pause).thenThrows(RuleViolated, { rule: 'campaign.pause-when-running' });
  });

  it('resumes only a paused campaign', () => {
    given([defined, launched]).when(resume).thenThrows(RuleViolated, { rule: 'campaign.resume-when-paused' });
    given([defined]).when(resume).thenThrows(RuleViolated, { rule: 'campaign.resume-when-paused' });
  });

  it('ends a campaign in any state before its end', () => {
    given([defined]).when(end).then([ended]);
    given([defined, launched, paused]).when(end).then([ended]);
  });

  it.each([
    ['launch', launch],
    ['pause', pause],
    ['resume', resume],
    ['end', end],
    ['change', change({ name: 'later' })],
  ])('refuses to %s after the end', (_name, command) => {
    given([defined, launched, ended]).when(command).thenThrows(RuleViolated, { rule: 'campaign.ended' });
  });
});

describe('campaign definition input', () => {
  const refused = (raw: Record<string, unknown>): InvalidInput => {
    const parsed = parseDefineCampaign(raw, { campaignId: ID, occurredAt: T });
    if (parsed.ok) throw new Error('accepted');
    return parsed.error;
  };

  it.each([
    ['holdoutShare', { holdoutShare: 0.6 }],
    ['holdoutShare', { holdoutShare: -0.1 }],
    ['holdoutShare', { holdoutShare: '0.1' }],
    ['conversionWindowDays', { conversionWindowDays: 0 }],
    ['conversionWindowDays', { conversionWindowDays: 366 }],
    ['conversionWindowDays', { conversionWindowDays: 1.5 }],
    ['channel', { channel: 'pigeon' }],
    ['name', { name: 'x'.repeat(201) }],
    ['name', { name: '  ' }],
    ['contentHints', { contentHints: Array.from({ length: 21 }, () => 'hint') }],
    ['sendWindow.until', { sendWindow: { from: '2026-03-09T00:00:00Z', until: '2026-03-02T00:00:00Z' } }],
    ['sendWindow.from', { sendWindow: { from: '2026-03-09', until: '2026-03-10T00:00:00Z' } }],
    ['goal.amount', { goal: { kind: 'booking-above' } }],
    ['goal.amount', { goal: { kind: 'booking', amount: { value: 100, currency: 'EUR' } } }],
    ['goal.kind', { goal: { kind: 'clicks' } }],
    ['audience.segments.keys', { audience: { segments: { match: 'any', keys: [] } } }],
    ['audience.segments.match', { audience: { segments: { match: 'some', keys: ['vip:vip'] } } }],
    ['audience.trips', { audience: { trips: {} } }],
    ['audience.trips.destinations.0', { audience: { trips: { destinations: ['Portugal'] } } }],
    ['audience.trips.minSpend.currency', { audience: { trips: { minSpend: { value: 100, currency: 'euro' } } } }],
    ['audience.trips.withinMonths', { audience: { trips: { withinMonths: 0 } } }],
    ['audience.trips.productTypes', { audience: { trips: { productTypes: Array.from({ length: 51 }, (_, i) => `p${i}`) } } }],
    ['audience.colour', { audience: { colour: 'red' } }],
    ['campaignId', { campaignId: 'has spaces' }],
  ])('names %s when it breaks its rule', (field, override) => {
    expect(refused({ ...body, ...override })).toMatchObject({ field });
  });

  it('lists every missing field at once', () => {
    const error = refused({});
    expect(error.errors?.map((e) => e.field)).toEqual(expect.arrayContaining(['name', 'channel', 'sendWindow', 'holdoutShare', 'goal', 'conversionWindowDays']));
  });

  it('refuses an empty change', () => {
    const parsed = parseChangeCampaignDefinition(ID, {}, T);
    expect(parsed.ok || parsed.error).toMatchObject({ field: 'body' });
  });
});
