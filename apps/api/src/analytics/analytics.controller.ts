import { ACCESS } from '../../../../libs/auth/src';
import { Access } from '../auth/access';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { Pool } from 'pg';
import { segmentSizes, type SegmentSizes } from '../../../../projections/segments/segment-sizes.queries';
import { churnSummary, type ChurnSummary } from '../../../../projections/churn/churn-summary.queries';
import { READ_MODELS } from '../tokens';

export class SizesQuery {
  @ApiProperty({ description: 'The family part of the segment keys, e.g. rfm, value-loyalty, lifecycle.', example: 'rfm' })
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'family must be the family part of a segment key (lower-case letters, digits, -), e.g. rfm' })
  family!: string;

  @ApiPropertyOptional({ description: 'How many of the latest evaluations to draw.', minimum: 1, maximum: 200, default: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  evaluations?: number;
}

class SegmentSizesEvaluation {
  @ApiProperty() evaluationId!: number;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
}
class SegmentSizesSeries {
  @ApiProperty({ example: 'rfm:champions' }) segment!: string;
  @ApiProperty({ type: [Number], description: 'Members after each of `evaluations`, in the same order.' }) sizes!: number[];
}
export class SegmentSizesResponse implements SegmentSizes {
  @ApiProperty() family!: string;
  @ApiProperty({ type: [SegmentSizesEvaluation], description: 'Oldest first.' }) evaluations!: SegmentSizesEvaluation[];
  @ApiProperty({ type: [SegmentSizesSeries] }) series!: SegmentSizesSeries[];
  @ApiProperty({ description: 'The last position of the change feed (GET /segments/changes).' }) lastChangePosition!: number;
}

class ChurnSummaryScoring {
  @ApiProperty() scoringId!: number;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty() fitId!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
}
class ChurnSummaryBand {
  @ApiProperty({ enum: ['high', 'medium', 'low'] }) band!: 'high' | 'medium' | 'low';
  @ApiProperty() customers!: number;
  @ApiProperty({ description: 'Their CLV together, in major units of the currency.' }) clv!: number;
}
class ChurnSummaryBucket {
  @ApiProperty() from!: number;
  @ApiProperty() to!: number;
  @ApiProperty() customers!: number;
}
export class ChurnSummaryResponse implements ChurnSummary {
  @ApiProperty({ type: ChurnSummaryScoring, nullable: true, description: 'Null before the first scoring.' }) scoring!: ChurnSummaryScoring | null;
  @ApiProperty({ type: [ChurnSummaryBand] }) bands!: ChurnSummaryBand[];
  @ApiProperty({ type: [ChurnSummaryBucket], description: 'Twenty equal-width buckets up to the 99th percentile of CLV; the last also holds everything above.' })
  clvHistogram!: ChurnSummaryBucket[];
}

/** Aggregates for the console's analytics pages, from the read models analysts also query with SQL. */
@ApiTags('analytics')
@Access(ACCESS.readAllCustomers)
@Controller()
export class AnalyticsController {
  constructor(@Inject(READ_MODELS) private readonly pool: Pool) {}

  @Get('segments/sizes')
  @ApiOperation({ summary: "A family's segment sizes after each of the latest evaluations, from the change feed" })
  @ApiOkResponse({ type: SegmentSizesResponse })
  sizes(@Query() query: SizesQuery): Promise<SegmentSizes> {
    return segmentSizes(this.pool, query.family, query.evaluations ?? 30);
  }

  @Get('churn-risk/summary')
  @ApiOperation({ summary: 'The latest scoring in numbers: customers and CLV per risk band, and a CLV histogram' })
  @ApiOkResponse({ type: ChurnSummaryResponse })
  churn(): Promise<ChurnSummary> {
    return churnSummary(this.pool);
  }
}
