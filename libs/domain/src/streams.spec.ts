import { campaignStreamId } from './campaign.events';
import { customerStreamId } from './customer.events';
import { riskAlertStreamId } from './risk-alert';
import { ENGINE_STREAM_PREFIXES } from './streams';

describe('ENGINE_STREAM_PREFIXES', () => {
  // The EventStoreDB adapter once read customer streams only, so risk alerts never reached the touchpoint schedule there.
  it.each([
    ['customer', customerStreamId('c-1')],
    ['risk alert', riskAlertStreamId('ra-1')],
    ['campaign', campaignStreamId('cmp-1')],
  ])('covers the %s streams', (_kind, streamId) => {
    expect(ENGINE_STREAM_PREFIXES.some((prefix) => streamId.startsWith(prefix))).toBe(true);
  });
});
