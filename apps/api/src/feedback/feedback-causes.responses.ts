import { ApiProperty } from '@nestjs/swagger';
import { LIMITS, TRIP_PHASES } from '../../../../libs/domain/src';
import type { ComplaintDeadlines, ComplaintRateCell, ComplaintRates, DeadlineFigures } from '../../../../projections/feedback/feedback-complaints.queries';
import { DEADLINE_DIMENSIONS } from '../../../../projections/feedback/feedback-complaints.queries';
import type { NpsBreakdown, NpsDrop, NpsGroup } from '../../../../projections/feedback/feedback-nps.queries';
import { NPS_DIMENSIONS } from '../../../../projections/feedback/feedback-nps.queries';
import { FeedbackNpsFiguresDto } from './feedback.responses';

/*
 * The answers of GET /analytics/feedback/* (issue 19), OpenAPI. Each class implements the query's type so the two cannot
 * drift apart unnoticed; names are unique across the document (Nest keeps only one schema of a name).
 */

const FROM = { format: 'date-time', description: 'Start of the range, inclusive (UTC).', example: '2025-01-01T00:00:00.000Z' };
const TO = { format: 'date-time', description: 'End of the range, exclusive (UTC).', example: '2025-04-01T00:00:00.000Z' };

/** CSV columns, in the order the rows give them. */
export const NPS_CSV = ['group', 'answers', 'promoters', 'passives', 'detractors', 'nps', 'low', 'high'] as const;
export const NPS_DROPS_CSV = ['customerId', 'previousSurveyId', 'previousAnsweredAt', 'previousNps', 'surveyId', 'answeredAt', 'nps', 'drop', 'department', 'phase', 'country', 'city', 'productType'] as const;
export const COMPLAINT_RATES_CSV = ['month', 'category', 'department', 'phase', 'complaints', 'trips', 'per100Trips'] as const;
export const DEADLINES_CSV = ['group', 'complaints', 'acknowledged', 'acknowledgeMedianMinutes', 'acknowledgeBreaches', 'acknowledgePending', 'resolved', 'resolveMedianMinutes', 'resolveBreaches', 'resolvePending'] as const;

export class FeedbackNpsGroupDto extends FeedbackNpsFiguresDto implements NpsGroup {
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The month (YYYY-MM, UTC), destination ('CC/City': the country code is two letters), product type, sales channel or agent id of the booking answered about; null when the answer names no booking or one the read model does not know, or (agent) the booking was not made by an agent through the API.",
    example: 'web',
  })
  group!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Lower bound of the 95 % interval of the NPS (Wald: NPS ± 1.96 · 100 · sqrt(variance of the −1/0/+1 scores / answers)), cut at −100; null without answers.', example: 12.4 })
  low!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Upper bound of the 95 % interval, cut at 100; null without answers.', example: 34.2 })
  high!: number | null;
}

export class FeedbackNpsBreakdownResponse implements NpsBreakdown {
  @ApiProperty(FROM) from!: string;
  @ApiProperty(TO) to!: string;
  @ApiProperty({ enum: NPS_DIMENSIONS }) by!: (typeof NPS_DIMENSIONS)[number];
  @ApiProperty({ type: [FeedbackNpsGroupDto], description: 'by=month: every UTC month of the range, oldest first, empty ones with null figures. Otherwise every group with answers, most first, then by name (bytewise), null last among equals.' })
  groups!: FeedbackNpsGroupDto[];
}

export class FeedbackNpsDropDto implements NpsDrop {
  @ApiProperty({ example: 'c-1001' }) customerId!: string;
  @ApiProperty({ example: 's-87' }) previousSurveyId!: string;
  @ApiProperty({ format: 'date-time' }) previousAnsweredAt!: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10, example: 9 }) previousNps!: number;
  @ApiProperty({ example: 's-88' }) surveyId!: string;
  @ApiProperty({ format: 'date-time', description: 'In [from, to).' }) answeredAt!: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10, example: 4 }) nps!: number;
  @ApiProperty({ type: 'integer', description: 'previousNps − nps, at least minDrop.', example: 5 }) drop!: number;
  @ApiProperty({ type: String, nullable: true, maxLength: LIMITS.label, description: 'Department given with the later answer; null when not recorded.' }) department!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: TRIP_PHASES, description: 'Trip phase given with the later answer; null when not recorded.' }) phase!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Destination of the booking the later answer is about (ISO 3166-1 alpha-2).' }) country!: string | null;
  @ApiProperty({ type: String, nullable: true }) city!: string | null;
  @ApiProperty({ type: String, nullable: true }) productType!: string | null;
}

export class FeedbackNpsDropsResponse {
  @ApiProperty({ type: [FeedbackNpsDropDto], description: 'By the instant of the later answer, then customer and survey id.' }) items!: FeedbackNpsDropDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last.' }) nextCursor!: string | null;
}

export class FeedbackComplaintRateCellDto implements ComplaintRateCell {
  @ApiProperty({ type: String, nullable: true, description: 'UTC month filed in (by=month); null over the whole range.', example: '2025-03' }) month!: string | null;
  @ApiProperty({ example: 'accommodation', maxLength: LIMITS.label }) category!: string;
  @ApiProperty({ type: String, nullable: true, maxLength: LIMITS.label, description: 'Null: not recorded (every complaint filed before department and phase existed).', example: 'hotel-contracting' }) department!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: TRIP_PHASES, description: 'Null: not recorded.' }) phase!: string | null;
  @ApiProperty({ type: 'integer', description: 'Complaints filed.' }) complaints!: number;
  @ApiProperty({ type: 'integer', description: 'Trips departed in the same month (by=month) or in the range.' }) trips!: number;
  @ApiProperty({ type: Number, nullable: true, description: '100 × complaints / trips, 2 decimals; null without trips.', example: 1.25 }) per100Trips!: number | null;
}

export class FeedbackComplaintRateMonthDto {
  @ApiProperty({ example: '2025-03' }) month!: string;
  @ApiProperty({ type: 'integer', description: 'Trips departed in the month.' }) trips!: number;
  @ApiProperty({ type: 'integer', description: 'Complaints filed in the month.' }) complaints!: number;
  @ApiProperty({ type: Number, nullable: true }) per100Trips!: number | null;
}

export class FeedbackComplaintRatesResponse implements ComplaintRates {
  @ApiProperty(FROM) from!: string;
  @ApiProperty(TO) to!: string;
  @ApiProperty({ enum: ['total', 'month'] }) by!: 'total' | 'month';
  @ApiProperty({ type: 'integer', description: 'Trips taken: bookings whose first departure (TripDeparted) is in the range.' }) trips!: number;
  @ApiProperty({ type: 'integer', description: 'Complaints filed in the range.' }) complaints!: number;
  @ApiProperty({ type: Number, nullable: true }) per100Trips!: number | null;
  @ApiProperty({ type: [FeedbackComplaintRateMonthDto], description: 'Every UTC month of the range, oldest first.' }) months!: FeedbackComplaintRateMonthDto[];
  @ApiProperty({ type: [FeedbackComplaintRateCellDto], description: 'The category × department × phase combinations that occur (per month with by=month, months oldest first), most complaints first, then by category, department (null last) and phase (trip order, null last).' })
  cells!: FeedbackComplaintRateCellDto[];
}

export class FeedbackDeadlineFiguresDto implements DeadlineFigures {
  @ApiProperty({ type: 'integer', description: 'Complaints filed in the range.' }) complaints!: number;
  @ApiProperty({ type: 'integer', description: 'Answered before `to`: acknowledged, or resolved without an acknowledgement.' }) acknowledged!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Median minutes from filing to that first answer; null when none.' }) acknowledgeMedianMinutes!: number | null;
  @ApiProperty({ type: 'integer', description: 'Answered more than 60 minutes after filing, or unanswered at `to` when the 60 minutes had passed.' }) acknowledgeBreaches!: number;
  @ApiProperty({ type: 'integer', description: 'Unanswered at `to`, the 60 minutes not yet passed.' }) acknowledgePending!: number;
  @ApiProperty({ type: 'integer', description: 'Resolved before `to`.' }) resolved!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Median minutes from filing to resolution; null when none.' }) resolveMedianMinutes!: number | null;
  @ApiProperty({ type: 'integer', description: 'Resolved more than 24 hours after filing, or unresolved at `to` when the 24 hours had passed.' }) resolveBreaches!: number;
  @ApiProperty({ type: 'integer', description: 'Unresolved at `to`, the 24 hours not yet passed.' }) resolvePending!: number;
}

export class FeedbackDeadlineGroupDto extends FeedbackDeadlineFiguresDto {
  @ApiProperty({ type: String, nullable: true, description: 'The department, phase, category, severity or month (YYYY-MM, UTC) filed; null: not recorded.', example: 'transfers' }) group!: string | null;
}

export class FeedbackDeadlinesDto {
  @ApiProperty({ type: 'integer', example: 60 }) acknowledgeMinutes!: 60;
  @ApiProperty({ type: 'integer', example: 1440 }) resolveMinutes!: 1440;
}

export class FeedbackComplaintDeadlinesResponse implements ComplaintDeadlines {
  @ApiProperty(FROM) from!: string;
  @ApiProperty(TO) to!: string;
  @ApiProperty({ enum: DEADLINE_DIMENSIONS }) by!: (typeof DEADLINE_DIMENSIONS)[number];
  @ApiProperty({ type: FeedbackDeadlinesDto }) deadlines!: FeedbackDeadlinesDto;
  @ApiProperty({ type: FeedbackDeadlineFiguresDto }) overall!: FeedbackDeadlineFiguresDto;
  @ApiProperty({ type: [FeedbackDeadlineGroupDto], description: 'Months oldest first; phases and severities in their order; departments and categories most complaints first; null last.' })
  groups!: FeedbackDeadlineGroupDto[];
}
