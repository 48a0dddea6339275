import { ApiProperty } from '@nestjs/swagger';
import { COMPLAINT_SEVERITIES, LIMITS } from '../../../../libs/domain/src';
import type { ComplaintCount, FeedbackDestination, FeedbackReport, NpsFigures } from '../../../../projections/feedback/feedback.queries';
import { FEEDBACK_TOP_GROUPS } from '../../../../projections/feedback/feedback.queries';

/* The answer of GET /analytics/feedback (OpenAPI). Each class implements the query's type, so the two cannot drift apart unnoticed. */

export class FeedbackNpsFiguresDto implements NpsFigures {
  @ApiProperty({ type: 'integer', description: 'Survey answers (SurveyAnswered) in the range.', example: 120 }) answers!: number;
  @ApiProperty({ type: 'integer', description: 'Answers of 9 or 10.', example: 54 }) promoters!: number;
  @ApiProperty({ type: 'integer', description: 'Answers of 7 or 8.', example: 40 }) passives!: number;
  @ApiProperty({ type: 'integer', description: 'Answers of 0 to 6.', example: 26 }) detractors!: number;
  @ApiProperty({ type: Number, nullable: true, description: '% promoters − % detractors, rounded to 1 decimal (half away from zero); null without answers.', example: 23.3 })
  nps!: number | null;
}

export class FeedbackNpsMonthDto extends FeedbackNpsFiguresDto {
  @ApiProperty({ description: 'UTC calendar month, YYYY-MM.', example: '2026-03' }) month!: string;
}

export class FeedbackDestinationDto implements FeedbackDestination {
  @ApiProperty({ description: 'ISO 3166-1 alpha-2.', example: 'GR' }) country!: string;
  @ApiProperty({ example: 'Chania', maxLength: LIMITS.label }) city!: string;
}

export class FeedbackNpsDestinationDto extends FeedbackNpsFiguresDto {
  @ApiProperty({ type: FeedbackDestinationDto, nullable: true, description: "The destination of the booking answered about; null when the answer names no booking, or one the read model does not know." })
  destination!: FeedbackDestinationDto | null;
}

export class FeedbackNpsProductTypeDto extends FeedbackNpsFiguresDto {
  @ApiProperty({ type: String, nullable: true, description: 'The product type of the booking answered about; null when unknown (as for destination).', example: 'package' })
  productType!: string | null;
}

export class FeedbackNpsDto {
  @ApiProperty({ type: FeedbackNpsFiguresDto }) overall!: FeedbackNpsFiguresDto;
  @ApiProperty({ type: [FeedbackNpsMonthDto], description: 'Every UTC month the range touches, oldest first, months without answers included (nps null).' }) byMonth!: FeedbackNpsMonthDto[];
  @ApiProperty({ type: [FeedbackNpsDestinationDto], description: `The ${FEEDBACK_TOP_GROUPS} destinations with the most answers, most first (then by country and city).` }) byDestination!: FeedbackNpsDestinationDto[];
  @ApiProperty({ type: [FeedbackNpsProductTypeDto], description: `The ${FEEDBACK_TOP_GROUPS} product types with the most answers, most first (then by name).` }) byProductType!: FeedbackNpsProductTypeDto[];
}

export class FeedbackComplaintMonthDto {
  @ApiProperty({ description: 'UTC calendar month the complaint was filed in, YYYY-MM.', example: '2026-03' }) month!: string;
  @ApiProperty({ example: 'accommodation', maxLength: LIMITS.label }) category!: string;
  @ApiProperty({ enum: COMPLAINT_SEVERITIES }) severity!: string;
  @ApiProperty({ type: 'integer', description: 'Complaints filed.', example: 3 }) count!: number;
}

export class FeedbackComplaintCountDto implements ComplaintCount {
  @ApiProperty({ type: 'integer', description: 'Complaints filed in the range.', example: 12 }) count!: number;
  @ApiProperty({ type: 'integer', description: 'Of those, the ones not resolved by `to`.', example: 2 }) open!: number;
}

export class FeedbackComplaintCategoryDto extends FeedbackComplaintCountDto {
  @ApiProperty({ example: 'accommodation', maxLength: LIMITS.label }) category!: string;
}

export class FeedbackComplaintSeverityDto extends FeedbackComplaintCountDto {
  @ApiProperty({ enum: COMPLAINT_SEVERITIES }) severity!: string;
}

export class FeedbackComplaintsDto {
  @ApiProperty({ type: [FeedbackComplaintMonthDto], description: 'Per month, category and severity, only the combinations that occur; by month, then category, then severity (low to critical).' })
  byMonth!: FeedbackComplaintMonthDto[];
  @ApiProperty({ type: [FeedbackComplaintCategoryDto], description: 'Every category, most complaints first (then by name).' }) byCategory!: FeedbackComplaintCategoryDto[];
  @ApiProperty({ type: [FeedbackComplaintSeverityDto], description: 'The four severities, low to critical, zeros included.' }) bySeverity!: FeedbackComplaintSeverityDto[];
}

export class FeedbackResponse implements FeedbackReport {
  @ApiProperty({ format: 'date-time', description: 'Start of the range, inclusive (UTC).', example: '2024-08-01T00:00:00.000Z' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'End of the range, exclusive (UTC).', example: '2026-07-15T09:30:00.000Z' }) to!: string;
  @ApiProperty({ type: FeedbackNpsDto, description: 'NPS of the survey answers given in the range.' }) nps!: FeedbackNpsDto;
  @ApiProperty({ type: FeedbackComplaintsDto, description: 'Complaints filed in the range.' }) complaints!: FeedbackComplaintsDto;
}
