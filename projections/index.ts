import type { Projection } from '../libs/projection-engine/src';
import type { TouchpointConfig } from '../libs/touchpoints/src';
import { auditTrailProjection } from './audit-trail/audit-trail.projection';
import { campaignsProjection } from './campaigns/campaigns.projection';
import { churnFactsProjection } from './churn/churn-facts.projection';
import { customerOverviewProjection } from './customer-overview/customer-overview.projection';
import { feedbackProjection } from './feedback/feedback.projection';
import { segmentFactsProjection } from './segments/segment-facts.projection';
import { touchpointsProjection } from './touchpoints/touchpoints.projection';

/** Every read model the projector runs; the touchpoint schedule follows its configured rules. */
export const projections = (config: { touchpoints: TouchpointConfig }): readonly Projection[] => [
  customerOverviewProjection,
  segmentFactsProjection,
  churnFactsProjection,
  touchpointsProjection(config.touchpoints),
  auditTrailProjection,
  feedbackProjection,
  campaignsProjection,
];
