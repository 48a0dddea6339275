import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { SegmentDefinition } from '../../../../libs/segments/src';
import type { EvaluationSummary, EvaluationTrigger } from '../../../../projections/segments/segment-evaluation';
import type { CustomerSegments, EvaluationFailure, LatestEvaluation, Member, SegmentChange } from '../../../../projections/segments/segments.queries';

/* What the segment routes answer. Money is in minor units of the base currency of the segments config. */

const TRIGGERS: EvaluationTrigger[] = ['events', 'schedule', 'on-demand'];
const COUNTS = { type: 'object', additionalProperties: { type: 'integer' } } as const;

export class ScoreCountsDto {
  @ApiProperty({ ...COUNTS, example: { '1': 12, '5': 9 }, description: 'Customers per R score (1-5).' }) r!: Record<string, number>;
  @ApiProperty({ ...COUNTS, description: 'Customers per F score (1-5).' }) f!: Record<string, number>;
  @ApiProperty({ ...COUNTS, description: 'Customers per M score (1-5).' }) m!: Record<string, number>;
  @ApiProperty({ ...COUNTS, example: { A: 20, B: 30, C: 50 }, description: 'Customers per ABC class.' }) abc!: Record<string, number>;
}

export class EvaluationSummaryResponse implements EvaluationSummary {
  @ApiProperty({ type: 'integer', nullable: true, description: 'Null when not recorded.' }) evaluationId!: number | null;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ description: 'False for an instant before the latest recorded evaluation: computed and reported, not written.' }) recorded!: boolean;
  @ApiProperty({ enum: TRIGGERS }) trigger!: EvaluationTrigger;
  @ApiProperty({ example: 'default' }) configVersion!: string;
  @ApiProperty({ type: 'integer', description: 'The log position the segment facts had reached.' }) factsPosition!: number;
  @ApiProperty({ type: 'integer' }) customers!: number;
  @ApiProperty({ type: 'integer' }) memberships!: number;
  @ApiProperty({ type: 'integer', description: 'Entries into a segment since the previous evaluation.' }) entered!: number;
  @ApiProperty({ type: 'integer', description: 'Exits from a segment since the previous evaluation.' }) left!: number;
  @ApiProperty({ ...COUNTS, example: { 'rfm:champions': 42 }, description: 'Members per segment.' }) segments!: Record<string, number>;
  @ApiProperty({ type: ScoreCountsDto, description: 'Customers per R, F and M score (customers with a completed trip) and per ABC class.' }) scores!: ScoreCountsDto;
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}

export class LatestEvaluationDto implements LatestEvaluation {
  @ApiProperty({ type: 'integer' }) evaluationId!: number;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ enum: TRIGGERS }) trigger!: string;
  @ApiProperty() configVersion!: string;
  @ApiProperty({ format: 'date-time' }) finishedAt!: string;
}

export class EvaluationFailureDto implements EvaluationFailure {
  @ApiProperty() reason!: string;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ enum: TRIGGERS }) trigger!: string;
  @ApiProperty() configVersion!: string;
  @ApiProperty({ format: 'date-time' }) firstFailedAt!: string;
  @ApiProperty({ format: 'date-time' }) lastFailedAt!: string;
  @ApiProperty({ type: 'integer' }) attempts!: number;
}

export class SegmentDefinitionDto implements SegmentDefinition {
  @ApiProperty({ example: 'rfm:champions' }) segment!: string;
  @ApiProperty({ example: 'rfm' }) family!: string;
  @ApiProperty({ example: 'champions' }) name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: 'integer', description: 'Current members.' }) members!: number;
}

export class SegmentListResponse {
  @ApiProperty({ type: LatestEvaluationDto, nullable: true, description: 'Null before the first evaluation.' }) evaluation!: LatestEvaluationDto | null;
  @ApiPropertyOptional({ type: EvaluationFailureDto, description: 'Present only while evaluations have failed since the latest one that succeeded.' }) failure?: EvaluationFailureDto;
  @ApiProperty({ type: [SegmentDefinitionDto], description: 'The configured segments, then the interest tags customers declared.' }) segments!: SegmentDefinitionDto[];
}

export class SegmentChangeDto implements SegmentChange {
  @ApiProperty({ type: 'integer' }) position!: number;
  @ApiProperty({ type: 'integer' }) evaluationId!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() customerId!: string;
  @ApiProperty({ example: 'rfm:champions' }) segment!: string;
  @ApiProperty({ enum: ['entered', 'left'] }) change!: 'entered' | 'left';
  @ApiProperty() reason!: string;
}

export class SegmentChangesResponse {
  @ApiProperty({ type: [SegmentChangeDto], description: 'In order of position.' }) changes!: SegmentChangeDto[];
  @ApiProperty({ type: 'integer', description: 'Pass as ?after= for the next changes (the last position, or the given one when there were none).' }) nextCursor!: number;
}

export class MemberDto implements Member {
  @ApiProperty() customerId!: string;
  @ApiProperty({ format: 'date-time', description: 'Member since.' }) since!: string;
  @ApiProperty({ description: 'Why the customer is a member, in words.' }) reason!: string;
  @ApiProperty({ type: 'integer', description: 'Revenue from the latest evaluation, in minor units of currency.' }) revenue!: number;
  @ApiProperty({ type: String, nullable: true, example: 'EUR', description: 'The base currency; null for a customer the latest evaluation did not score.' }) currency!: string | null;
}

export class SegmentMembersResponse {
  @ApiProperty({ type: [MemberDto] }) items!: MemberDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page.' }) nextCursor!: string | null;
}

export class CurrentSegmentDto {
  @ApiProperty({ example: 'rfm:champions' }) segment!: string;
  @ApiProperty({ format: 'date-time' }) since!: string;
  @ApiProperty() reason!: string;
}

export class SegmentStayDto {
  @ApiProperty({ example: 'rfm:champions' }) segment!: string;
  @ApiProperty({ format: 'date-time' }) enteredAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Null while still a member.' }) leftAt!: string | null;
  @ApiProperty() reason!: string;
}

export class DiscountDto {
  @ApiProperty({ type: 'number', example: 4 }) percent!: number;
  @ApiProperty({ type: 'integer', description: 'The spend the level counts, in minor units of currency.' }) revenue!: number;
  @ApiProperty({ type: 'number', nullable: true, description: 'The next level; null at the top.' }) nextPercent!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Spend to the next level, in minor units of currency; null at the top.' }) spendToNext!: number | null;
  @ApiProperty({ example: 'EUR' }) currency!: string;
}

export class CustomerScoresDto {
  @ApiProperty({ type: 'integer', nullable: true, description: 'R score 1-5; null without a completed trip.' }) r!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) f!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) m!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'A' }) abcClass!: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) recencyDays!: number | null;
  @ApiProperty({ type: 'integer' }) trips!: number;
  @ApiProperty({ type: 'integer' }) bookings!: number;
  @ApiProperty({ type: 'integer', description: 'Minor units of the base currency.' }) revenue!: number;
}

export class CustomerSegmentsResponse implements CustomerSegments {
  @ApiProperty() customerId!: string;
  @ApiProperty({ type: LatestEvaluationDto, nullable: true }) evaluation!: LatestEvaluationDto | null;
  @ApiProperty({ type: [CurrentSegmentDto] }) current!: CurrentSegmentDto[];
  @ApiProperty({ type: [SegmentStayDto], description: 'Every stay in a segment, oldest first.' }) history!: SegmentStayDto[];
  @ApiProperty({ type: DiscountDto, nullable: true, description: 'The loyalty discount from the latest evaluation; null before the first.' }) discount!: DiscountDto | null;
  @ApiProperty({ type: CustomerScoresDto, nullable: true, description: 'From the latest evaluation; null before the first.' }) scores!: CustomerScoresDto | null;
}
