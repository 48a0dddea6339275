import { isHeldOut } from './schedule-context';
import { scheduleTouchpoints } from './schedule-touchpoints';
import { touchpointId, type TouchpointCampaign, type TouchpointFacts } from './touchpoint';
import { DEFAULT_TOUCHPOINT_CONFIG, touchpointConfig } from './touchpoint-config';
import { customer, only, trip, withBookings } from './touchpoint.fixtures';

const assigned = (campaignId: string, arm: TouchpointCampaign['arm'], assignedAt: string, sendWindow = { from: '2026-03-02T08:00:00.000Z', until: '2026-03-09T18:00:00.000Z' }): TouchpointCampaign => ({
  campaignId,
  arm,
  assignedAt,
  channel: 'sms',
  contentHints: ['flight deal ATH-LHR'],
  sendWindow,
});
const inCampaigns = (facts: TouchpointFacts, ...campaigns: TouchpointCampaign[]): TouchpointFacts => ({ ...facts, campaigns });
const campaignRows = (facts: TouchpointFacts, config = DEFAULT_TOUCHPOINT_CONFIG) => scheduleTouchpoints(facts, config).filter((row) => row.kind === 'campaign');

describe('campaign touchpoints', () => {
  // Athens is UTC+2 in March: 08:00Z is 10:00 local, outside the quiet hours (21:00-09:00).
  const ana = customer('c-ana', 'Europe/Athens', { registeredAt: '2025-06-01T10:00:00.000Z' });

  it('gives a treated customer one touchpoint, due when the send window opens, on the campaign\'s channel with its hints', () => {
    const [row] = campaignRows(inCampaigns(ana, assigned('cmp-1', 'treatment', '2026-03-01T12:00:00.000Z')));
    expect(row).toEqual({
      touchpointId: touchpointId('c-ana', 'campaign', 'cmp-1'),
      customerId: 'c-ana',
      campaignId: 'cmp-1',
      kind: 'campaign',
      phase: 'campaign',
      dueAt: '2026-03-02T08:00:00.000Z',
      channel: 'sms',
      language: 'en',
      urgent: false,
      marketing: true,
      status: 'open',
      contentHints: ['flight deal ATH-LHR'],
    });
  });

  it('gives a control customer nothing', () => {
    expect(campaignRows(inCampaigns(ana, assigned('cmp-1', 'control', '2026-03-01T12:00:00.000Z')))).toEqual([]);
  });

  it('is due at the assignment when the customer enters the audience after the window opened, out of the quiet hours', () => {
    // 2026-03-04T20:30Z is 22:30 in Athens: moved to 09:00 local the next morning (07:00Z).
    const [row] = campaignRows(inCampaigns(ana, assigned('cmp-1', 'treatment', '2026-03-04T20:30:00.000Z')));
    expect(row.dueAt).toBe('2026-03-05T07:00:00.000Z');
    expect(row.reason).toBe('quiet hours 21:00-09:00: moved from 22:30 to 09:00 local');
    expect(row.status).toBe('open');
  });

  it('is skipped when assigned after the window closed, or without marketing consent', () => {
    const late = campaignRows(inCampaigns(ana, assigned('cmp-1', 'treatment', '2026-03-10T10:00:00.000Z')));
    expect(late[0]).toMatchObject({ status: 'skipped', reason: 'send window closed at 2026-03-09T18:00:00.000Z' });
    const noConsent = customer('c-bo', 'Europe/Athens', { registeredAt: '2025-06-01T10:00:00.000Z', consent: false });
    expect(campaignRows(inCampaigns(noConsent, assigned('cmp-1', 'treatment', '2026-03-01T12:00:00.000Z')))[0]).toMatchObject({ status: 'skipped', reason: 'no marketing consent' });
  });

  it('keeps within the frequency cap, and is skipped when the cap would push it past the window', () => {
    // A trip-memories row (marketing) on 2026-03-02 at 10:00 local takes the day (cap 1 a day): the campaign moves to
    // the next day at the send time. With a one-day window it cannot move: skipped.
    const traveller = withBookings(ana, trip('b1', '2025-12-01T10:00:00.000Z', '2026-02-05', '2026-02-16'));
    const moved = campaignRows(inCampaigns(traveller, assigned('cmp-1', 'treatment', '2026-03-01T12:00:00.000Z')));
    expect(moved[0]).toMatchObject({ status: 'open', dueAt: '2026-03-03T08:00:00.000Z' });
    expect(moved[0].reason).toMatch(/^moved by the frequency cap/);
    const short = { from: '2026-03-02T08:00:00.000Z', until: '2026-03-02T20:00:00.000Z' };
    const skipped = campaignRows(inCampaigns(traveller, assigned('cmp-1', 'treatment', '2026-03-01T12:00:00.000Z', short)));
    expect(skipped[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/send window closed at 2026-03-02T20:00:00.000Z$/) });
    expect(only(scheduleTouchpoints(inCampaigns(traveller, assigned('cmp-1', 'treatment', '2026-03-01T12:00:00.000Z', short)), DEFAULT_TOUCHPOINT_CONFIG), 'trip-memories').status).toBe('open');
  });

  it('is cancelled when the customer is forgotten, like every open touchpoint (scheduleCustomer)', () => {
    // Covered by the shared afterForgetting step; here: a campaign row is an ordinary open row.
    const rows = campaignRows(inCampaigns(ana, assigned('cmp-1', 'treatment', '2026-03-01T12:00:00.000Z'), assigned('cmp-2', 'treatment', '2026-03-01T12:00:00.000Z')));
    expect(rows.map((row) => row.campaignId).sort()).toEqual(['cmp-1', 'cmp-2']);
  });
});

describe('touchpoint-kind holdouts', () => {
  const config = touchpointConfig({ version: 'holdout-1', rules: { 'welcome-home-call': { holdoutShare: 0.3 } } });

  it('holds out about the configured share, the same touchpoints every time (a keyed hash)', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `tp_${i}`);
    const held = ids.filter((id) => isHeldOut(config, 'welcome-home-call', `c-${id}`, id));
    expect(held.length / ids.length).toBeGreaterThan(0.28);
    expect(held.length / ids.length).toBeLessThan(0.32);
    expect(ids.filter((id) => isHeldOut(config, 'welcome-home-call', `c-${id}`, id))).toEqual(held);
    // Another kind (share 0) and another key hold out other touchpoints.
    expect(ids.some((id) => isHeldOut(config, 'nps-survey', `c-${id}`, id))).toBe(false);
    const rekeyed = { ...config, holdoutKey: 'other' };
    expect(ids.filter((id) => isHeldOut(rekeyed, 'welcome-home-call', `c-${id}`, id))).not.toEqual(held);
  });

  it('records a held-out touchpoint as held-out, not open; the other kinds of the trip are untouched', () => {
    const statuses = Array.from({ length: 40 }, (_, i) => {
      const facts = withBookings(customer(`c-${i}`, 'Europe/Berlin'), trip('b1', '2026-01-10T10:00:00.000Z', '2026-05-01', '2026-05-08'));
      const rows = scheduleTouchpoints(facts, config);
      expect(only(rows, 'nps-survey').status).toBe('open');
      const call = only(rows, 'welcome-home-call');
      expect(call.status === 'held-out').toBe(isHeldOut(config, 'welcome-home-call', `c-${i}`, call.touchpointId));
      return call.status;
    });
    expect(statuses).toContain('held-out');
    expect(statuses).toContain('open');
  });

  it('refuses a holdout on urgent kinds and on campaigns, and shares above a half', () => {
    expect(() => touchpointConfig({ version: 'x', rules: { 'risk-notice': { holdoutShare: 0.1 } } })).toThrow(/rules\.risk-notice\.holdoutShare: unknown key/);
    expect(() => touchpointConfig({ version: 'x', rules: { campaign: { holdoutShare: 0.1 } } })).toThrow(/rules\.campaign\.holdoutShare: unknown key/);
    expect(() => touchpointConfig({ version: 'x', rules: { 'win-back-offer': { holdoutShare: 0.6 } } })).toThrow(/rules\.win-back-offer\.holdoutShare: must be at most 0.5 \(got 0.6\)/);
  });
});
