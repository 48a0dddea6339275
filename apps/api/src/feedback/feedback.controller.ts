import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';
import type { Pool } from 'pg';
import { ACCESS } from '../../../../libs/auth/src';
import { checkIsoInstant, InvalidInput, LIMITS } from '../../../../libs/domain/src';
import { feedbackReport, type FeedbackRange } from '../../../../projections/feedback/feedback.queries';
import { Access } from '../auth/access';
import { READ_MODELS } from '../tokens';
import { FeedbackResponse } from './feedback.responses';

const FIRST_INSTANT = Date.parse(`${LIMITS.firstDate}T00:00:00Z`);
const INSTANT = `ISO 8601 instant with offset or Z, ${LIMITS.firstDate}T00:00:00Z to ${LIMITS.lastDate}T23:59:59.999Z.`;

export class FeedbackQuery {
  @ApiPropertyOptional({ description: `Start, inclusive. ${INSTANT} Default: the first instant of the UTC month 23 months before the month of \`to\` (24 calendar months).`, format: 'date-time', example: '2024-08-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: `End, exclusive, after \`from\`. ${INSTANT} Default: now.`, format: 'date-time', example: '2026-08-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

/**
 * [from, to) of a request. By default the 24 calendar months (UTC) up to `to`, the current one included, so the
 * monthly series starts on a month's first day rather than with a part month; `to` defaults to now.
 */
export function feedbackRange(query: FeedbackQuery, now: number): FeedbackRange {
  if (query.from !== undefined) checkIsoInstant('from', query.from);
  if (query.to !== undefined) checkIsoInstant('to', query.to);
  const to = query.to === undefined ? now : Date.parse(query.to);
  const lastMonth = new Date(to - 1);
  const from = query.from === undefined ? Math.max(FIRST_INSTANT, Date.UTC(lastMonth.getUTCFullYear(), lastMonth.getUTCMonth() - 23, 1)) : Date.parse(query.from);
  if (to <= from) throw query.to === undefined ? new InvalidInput('from', 'must be before to (default now)') : new InvalidInput('to', 'must be after from');
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

@ApiTags('feedback')
@Controller()
export class FeedbackController {
  constructor(@Inject(READ_MODELS) private readonly pool: Pool) {}

  @Access(ACCESS.readAllCustomers)
  @Get('analytics/feedback')
  @ApiOperation({
    summary: 'NPS over time, by destination and by product type, and complaints by category and severity over time, in [from, to)',
    description:
      'Months are UTC calendar months. A survey answer or complaint is attributed to the destination and product type of the booking it names; ' +
      'one that names no booking, or a booking the read model does not know, counts under null. 400 names `from` or `to` when either is not an instant in range, or `to` is not after `from`.',
  })
  @ApiOkResponse({ type: FeedbackResponse, description: 'The figures over [from, to).' })
  report(@Query() query: FeedbackQuery): Promise<FeedbackResponse> {
    return feedbackReport(this.pool, feedbackRange(query, Date.now()));
  }
}
