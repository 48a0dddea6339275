import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { ACCESS } from '../../../../libs/auth/src';
import { checkIsoInstant, InvalidInput, LIMITS } from '../../../../libs/domain/src';
import { complaintDeadlines, complaintRates, DEADLINE_DIMENSIONS, type DeadlineDimension } from '../../../../projections/feedback/feedback-complaints.queries';
import { NPS_DIMENSIONS, npsBreakdown, npsDrops, type NpsDimension } from '../../../../projections/feedback/feedback-nps.queries';
import { feedbackReport, type FeedbackRange } from '../../../../projections/feedback/feedback.queries';
import { Access } from '../auth/access';
import { ApiPageOrCsvResponse, streamCsv } from '../http/csv';
import { READ_MODELS } from '../tokens';
import {
  COMPLAINT_RATES_CSV,
  DEADLINES_CSV,
  FeedbackComplaintDeadlinesResponse,
  FeedbackComplaintRatesResponse,
  FeedbackNpsBreakdownResponse,
  FeedbackNpsDropsResponse,
  NPS_CSV,
  NPS_DROPS_CSV,
} from './feedback-causes.responses';
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

export class FeedbackNpsQuery extends FeedbackQuery {
  @ApiPropertyOptional({ enum: NPS_DIMENSIONS, default: 'month', description: 'What to group the answers by; channel and agent are those of the booking answered about.' })
  @IsOptional()
  @IsIn(NPS_DIMENSIONS)
  by?: NpsDimension;
}

export class FeedbackNpsDropsQuery extends FeedbackQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 10, default: 4, description: 'The least fall, in points, from the previous answer.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10)
  minDrop?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' }) @IsOptional() @IsString() cursor?: string;
}

export class FeedbackComplaintRatesQuery extends FeedbackQuery {
  @ApiPropertyOptional({ enum: ['total', 'month'], default: 'total', description: 'total: over the whole range; month: per UTC month, against the trips of that month.' })
  @IsOptional()
  @IsIn(['total', 'month'])
  by?: 'total' | 'month';
}

export class FeedbackDeadlinesQuery extends FeedbackQuery {
  @ApiPropertyOptional({ enum: DEADLINE_DIMENSIONS, default: 'department' }) @IsOptional() @IsIn(DEADLINE_DIMENSIONS) by?: DeadlineDimension;
}

const wantsCsv = (req: Request): boolean => req.accepts(['application/json', 'text/csv']) === 'text/csv';

/** The JSON answer, or with Accept: text/csv its rows as one CSV file (every page, for a paged answer). */
async function jsonOrCsv<Item>(
  req: Request,
  res: Response,
  file: { name: string; header: readonly string[] },
  page: (cursor?: string) => Promise<{ json: object; items: Item[]; nextCursor: string | null }>,
  fields: (item: Item) => (string | number | null)[],
): Promise<void> {
  if (!wantsCsv(req)) {
    res.json((await page()).json);
    return;
  }
  await streamCsv(res, file, page, fields);
}

const CSV_NOTE = 'As JSON; with Accept: text/csv the rows (groups or cells) as one CSV file.';

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

  @Access(ACCESS.readAllCustomers)
  @Get('analytics/feedback/nps')
  @ApiOperation({
    summary: 'NPS of the answers in [from, to) by month, destination, product type, sales channel or agent, with answers and a 95 % interval; Accept: text/csv',
    description: 'The interval is Wald\'s (normal approximation) on the −1/0/+1 scores: with few answers it claims more than it knows, so the number of answers is given beside it (docs/read-models.md).',
  })
  @ApiPageOrCsvResponse(FeedbackNpsBreakdownResponse, NPS_CSV, CSV_NOTE)
  async nps(@Query() query: FeedbackNpsQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const answer = await npsBreakdown(this.pool, feedbackRange(query, Date.now()), query.by ?? 'month');
    await jsonOrCsv(req, res, { name: `nps-by-${answer.by}.csv`, header: NPS_CSV }, async () => ({ json: answer, items: answer.groups, nextCursor: null }), (g) => NPS_CSV.map((column) => g[column]));
  }

  @Access(ACCESS.readAllCustomers)
  @Get('analytics/feedback/nps-drops')
  @ApiOperation({ summary: "Answers in [from, to) at least minDrop points (default 4) below the same customer's previous answer, keyset-paged; Accept: text/csv streams them all" })
  @ApiPageOrCsvResponse(FeedbackNpsDropsResponse, NPS_DROPS_CSV)
  async drops(@Query() { minDrop, limit, cursor, ...range }: FeedbackNpsDropsQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const query = { ...feedbackRange(range, Date.now()), minDrop: minDrop ?? 4 };
    // The CSV has every row from the cursor on, read in large pages; the JSON one page of `limit`.
    const size = wantsCsv(req) ? 5000 : (limit ?? 100);
    await jsonOrCsv(
      req,
      res,
      { name: 'nps-drops.csv', header: NPS_DROPS_CSV },
      async (next) => {
        const page = await npsDrops(this.pool, { ...query, limit: size, cursor: next ?? cursor });
        return { json: page, ...page };
      },
      (d) => NPS_DROPS_CSV.map((column) => d[column]),
    );
  }

  @Access(ACCESS.readAllCustomers)
  @Get('analytics/feedback/complaint-rates')
  @ApiOperation({ summary: 'Complaints per 100 trips by category × department × phase in [from, to), over the range or per month; Accept: text/csv' })
  @ApiPageOrCsvResponse(FeedbackComplaintRatesResponse, COMPLAINT_RATES_CSV, CSV_NOTE)
  async rates(@Query() query: FeedbackComplaintRatesQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const answer = await complaintRates(this.pool, feedbackRange(query, Date.now()), query.by ?? 'total');
    const name = `complaints-per-100-trips${answer.by === 'month' ? '-by-month' : ''}.csv`;
    await jsonOrCsv(req, res, { name, header: COMPLAINT_RATES_CSV }, async () => ({ json: answer, items: answer.cells, nextCursor: null }), (c) => COMPLAINT_RATES_CSV.map((column) => c[column]));
  }

  @Access(ACCESS.readAllCustomers)
  @Get('analytics/feedback/complaint-deadlines')
  @ApiOperation({ summary: 'Time to acknowledge (1 h) and to resolve (24 h) the complaints filed in [from, to), breaches counted as of `to`, overall and per group; Accept: text/csv' })
  @ApiPageOrCsvResponse(FeedbackComplaintDeadlinesResponse, DEADLINES_CSV, 'As JSON; with Accept: text/csv one row per group, then a last row `overall`.')
  async deadlines(@Query() query: FeedbackDeadlinesQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const answer = await complaintDeadlines(this.pool, feedbackRange(query, Date.now()), query.by ?? 'department');
    const rows = [...answer.groups, { group: 'overall', ...answer.overall }];
    await jsonOrCsv(req, res, { name: `complaint-deadlines-by-${answer.by}.csv`, header: DEADLINES_CSV }, async () => ({ json: answer, items: rows, nextCursor: null }), (g) => DEADLINES_CSV.map((column) => g[column]));
  }
}
