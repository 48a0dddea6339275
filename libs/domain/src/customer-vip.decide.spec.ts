/* Decider specs for VIP status: granted and revoked by a person, with a reason. */
import { InvalidInput, NotFound, RuleViolated } from './domain.errors';
import { cmd, evt, given, raw, registered } from './customer.fixtures';
import { foldCustomer } from './customer.state';

const granted = evt('VipStatusGranted', { reason: 'three long-haul trips a year' }, '2025-02-01T10:00:00Z');
const revoked = evt('VipStatusRevoked', { reason: 'account closed' }, '2025-04-01T10:00:00Z');

describe('GrantVipStatus', () => {
  it('makes a registered customer a VIP, keeping the reason', () => {
    given([registered]).when(cmd('GrantVipStatus', { reason: 'key account' })).then([evt('VipStatusGranted', { reason: 'key account' })]);
  });

  it('grants again after a revocation', () => {
    given([registered, granted, revoked]).when(cmd('GrantVipStatus', { reason: 'back' })).then([evt('VipStatusGranted', { reason: 'back' })]);
  });

  it('refuses a customer who already is a VIP', () => {
    given([registered, granted]).when(cmd('GrantVipStatus', { reason: 'again' })).thenThrows(RuleViolated, { rule: 'vip.already-granted' });
  });

  it('is NotFound for an unknown customer', () => {
    given([]).when(cmd('GrantVipStatus', { reason: 'x' })).thenThrows(NotFound, { entity: 'customer' });
  });

  it.each([[''], ['   '], [undefined], [42]])('requires a reason (%p)', (reason) => {
    given([registered]).when(cmd('GrantVipStatus', raw({ reason: 'x' }, { reason }))).thenThrows(InvalidInput, { field: 'reason' });
  });
});

describe('RevokeVipStatus', () => {
  it('takes VIP status back, keeping the reason', () => {
    given([registered, granted]).when(cmd('RevokeVipStatus', { reason: 'fraud' })).then([evt('VipStatusRevoked', { reason: 'fraud' })]);
  });

  it('refuses a customer who is not a VIP', () => {
    given([registered]).when(cmd('RevokeVipStatus', { reason: 'x' })).thenThrows(RuleViolated, { rule: 'vip.not-granted' });
    given([registered, granted, revoked]).when(cmd('RevokeVipStatus', { reason: 'x' })).thenThrows(RuleViolated, { rule: 'vip.not-granted' });
  });

  it('requires a reason', () => {
    given([registered, granted]).when(cmd('RevokeVipStatus', raw({ reason: 'x' }, { reason: '' }))).thenThrows(InvalidInput, { field: 'reason' });
  });
});

describe('VIP state', () => {
  it('is VIP since the grant, and not after the revocation', () => {
    expect(foldCustomer([registered, granted])).toMatchObject({ vip: true, vipSince: '2025-02-01T10:00:00Z' });
    const after = foldCustomer([registered, granted, revoked]);
    expect(after).toMatchObject({ vip: false });
    expect(after).not.toHaveProperty('vipSince');
  });
});
