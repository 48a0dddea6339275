/* Decider specs for closing the loop on a scheduled contact: TouchpointCompleted, once per touchpoint. */
import { InvalidInput, NotFound, RuleViolated } from './domain.errors';
import { cmd, evt, given, raw, registered } from './customer.fixtures';
import { foldCustomer } from './customer.state';

const completed = evt('TouchpointCompleted', { touchpointId: 'tp_0a1b2c', outcome: 'no-answer' }, '2025-06-02T08:30:00Z');

describe('CompleteTouchpoint', () => {
  it('records the outcome and the note', () => {
    given([registered])
      .when(cmd('CompleteTouchpoint', { touchpointId: 'tp_0a1b2c', outcome: 'done', note: 'Loved Crete; asks about Rhodes in May.' }))
      .then([evt('TouchpointCompleted', { touchpointId: 'tp_0a1b2c', outcome: 'done', note: 'Loved Crete; asks about Rhodes in May.' })]);
  });

  it('completes a touchpoint once, whatever the outcome was', () => {
    given([registered, completed]).when(cmd('CompleteTouchpoint', { touchpointId: 'tp_0a1b2c', outcome: 'done' })).thenThrows(RuleViolated, { rule: 'touchpoint.already-completed' });
    given([registered, completed]).when(cmd('CompleteTouchpoint', { touchpointId: 'tp_ffff', outcome: 'skipped' })).then([evt('TouchpointCompleted', { touchpointId: 'tp_ffff', outcome: 'skipped' })]);
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
