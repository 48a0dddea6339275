import type { Projection } from '../libs/projection-engine/src';
import { churnFactsProjection } from './churn/churn-facts.projection';
import { customerOverviewProjection } from './customer-overview/customer-overview.projection';
import { segmentFactsProjection } from './segments/segment-facts.projection';

/** Every read model the projector runs. */
export const PROJECTIONS: readonly Projection[] = [customerOverviewProjection, segmentFactsProjection, churnFactsProjection];
