/*
 * Decider specs for closing the loop on a scheduled contact: TouchpointCompleted, once per touchpoint, and only for a
 * touchpoint the customer's schedule holds that is neither cancelled nor done (the schedule comes in the context).
 */
import { decide } from './customer.decide';
import { InvalidInput, NotFound, RuleViolated } from './domain.errors';
import { cmd, evt, given, givenSchedule, raw, registered } from './customer.fixtures';
import { foldCustomer } from './customer.state';

const completed = evt('TouchpointCompleted', { touchpointId: 'tp_0a1b2c', outcome: 'no-answer' }, '2025-06-02T08:30:00Z');
const open = givenSchedule({ tp_0a1b2c: { status: 'open' }, tp_ffff: { status: 'skipped' }, tp_1: { status: 'open' } });

describe('CompleteTouchpoint', () => {
  it('records the outcome and the note', () => {
    open([registered])
      .when(cmd('CompleteTouchpoint', { touchpointId: 'tp_0a1b2c', outcome: 'done', note: 'Loved Crete; asks about Rhodes in May.' }))
      .then([evt('TouchpointCompleted', { touchpointId: 'tp_0a1b2c', outcome: 'done', note: 'Loved Crete; asks about Rhodes in May.' })]);
  });

  it('completes a touchpoint once, whatever the outcome was', () => {
    open([registered, completed]).when(cmd('CompleteTouchpoint', { touchpointId: 'tp_0a1b2c', outcome: 'done' })).thenThrows(RuleViolated, { rule: 'touchpoint.already-completed' });
    open([registered, completed]).when(cmd('CompleteTouchpoint', { touchpointId: 'tp_ffff', outcome: 'skipped' })).then([evt('TouchpointCompleted', { touchpointId: 'tp_ffff', outcome: 'skipped' })]);
  });

  it('is NotFound for a touchpoint the schedule does not hold', () => {
    open([registered]).when(cmd('CompleteTouchpoint', { touchpointId: 'tp_nope', outcome: 'done' })).thenThrows(NotFound, { entity: 'touchpoint', id: 'tp_nope', message: 'touchpoint tp_nope not found' });
  });

  it('refuses a cancelled touchpoint, saying why it was cancelled', () => {
    givenSchedule({ tp_1: { status: 'cancelled', reason: 'booking cancelled' } })([registered])
      .when(cmd('CompleteTouchpoint', { touchpointId: 'tp_1', outcome: 'done' }))
      .thenThrows(RuleViolated, { rule: 'touchpoint.cancelled', message: 'touchpoint tp_1 was cancelled (booking cancelled) and cannot be completed' });
  });

  it('refuses a touchpoint the schedule has as done (closed by a complaint event), naming who and when', () => {
    givenSchedule({ tp_1: { status: 'done', completedBy: 'agent-7', completedAt: '2025-06-05T13:00:00.000Z' } })([registered])
      .when(cmd('CompleteTouchpoint', { touchpointId: 'tp_1', outcome: 'done' }))
      .thenThrows(RuleViolated, { rule: 'touchpoint.already-completed', message: 'touchpoint tp_1 was completed by agent-7 at 2025-06-05T13:00:00.000Z' });
  });

  it('completes a skipped touchpoint (made after all)', () => {
    open([registered]).when(cmd('CompleteTouchpoint', { touchpointId: 'tp_ffff', outcome: 'done' })).then([evt('TouchpointCompleted', { touchpointId: 'tp_ffff', outcome: 'done' })]);
  });

  it('without a schedule (trusted histories), applies only the rule the state holds', () => {
    const command = cmd('CompleteTouchpoint', { touchpointId: 'tp_0a1b2c', outcome: 'done' });
    expect(decide(command, foldCustomer([registered]))).toEqual([evt('TouchpointCompleted', { touchpointId: 'tp_0a1b2c', outcome: 'done' })]);
    expect(() => decide(command, foldCustomer([registered, completed]))).toThrow(RuleViolated);
  });

  it('refuses a touchpoint held out as its kind\'s control group', () => {
    givenSchedule({ tp_1: { status: 'held-out', reason: 'control group (holdout 0.1)' } })([registered])
      .when(cmd('CompleteTouchpoint', { touchpointId: 'tp_1', outcome: 'done' }))
      .thenThrows(RuleViolated, { rule: 'touchpoint.held-out' });
  });

  it('takes a gateway\'s outcomes; an opt-out also withdraws marketing consent (once)', () => {
    open([registered]).when(cmd('CompleteTouchpoint', { touchpointId: 'tp_1', outcome: 'delivered' })).then([evt('TouchpointCompleted', { touchpointId: 'tp_1', outcome: 'delivered' })]);
    const granted = evt('MarketingConsentChanged', { granted: true }, '2025-06-01T08:00:00Z');
    open([registered, granted])
      .when(cmd('CompleteTouchpoint', { touchpointId: 'tp_1', outcome: 'opted-out' }))
      .then([evt('TouchpointCompleted', { touchpointId: 'tp_1', outcome: 'opted-out' }), evt('MarketingConsentChanged', { granted: false })]);
    open([registered]).when(cmd('CompleteTouchpoint', { touchpointId: 'tp_1', outcome: 'opted-out' })).then([evt('TouchpointCompleted', { touchpointId: 'tp_1', outcome: 'opted-out' })]);
  });

  it('is NotFound for an unknown customer', () => {
    given([]).when(cmd('CompleteTouchpoint', { touchpointId: 'tp_1', outcome: 'done' })).thenThrows(NotFound, { entity: 'customer' });
  });

  it.each([
    ['an unknown outcome', { outcome: 'maybe' }, 'outcome'],
    ['no outcome', { outcome: undefined }, 'outcome'],
    ['an empty note', { note: '' }, 'note'],
    ['a touchpoint id with spaces', { touchpointId: 'tp 1' }, 'touchpointId'],
  ])('refuses %s', (_name, override, field) => {
    given([registered]).when(cmd('CompleteTouchpoint', raw({ touchpointId: 'tp_1', outcome: 'done' }, override))).thenThrows(InvalidInput, { field });
  });

  it('keeps the completed ids in the state', () => {
    expect(foldCustomer([registered, completed])).toMatchObject({ completedTouchpoints: ['tp_0a1b2c'] });
  });
});
