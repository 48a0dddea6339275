import { CAMPAIGN_STREAM_PREFIX } from './campaign.events';
import { CUSTOMER_STREAM_PREFIX } from './customer.events';
import { ENGINE_SCHEDULE_STREAM_PREFIX } from './engine-schedule';
import { RISK_ALERT_STREAM_PREFIX } from './risk-alert';

/**
 * Every kind of stream the engine writes. A log shared with other applications (EventStoreDB's $all) is filtered to
 * these, so a stream kind missing here never reaches a projection there.
 */
export const ENGINE_STREAM_PREFIXES: readonly string[] = [CUSTOMER_STREAM_PREFIX, RISK_ALERT_STREAM_PREFIX, ENGINE_SCHEDULE_STREAM_PREFIX, CAMPAIGN_STREAM_PREFIX];
