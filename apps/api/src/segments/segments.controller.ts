import { ACCESS } from '../../../../libs/auth/src';
import { Access } from '../auth/access';
import { Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { checkId, checkIsoInstant, InvalidInput } from '../../../../libs/domain/src';
import type { EventStore } from '../../../../libs/event-store/src';
import type { Projector } from '../../../../libs/projection-engine/src';
import type { Config } from '../../../engine/src';
import { segmentCatalog, type SegmentConfig } from '../../../../libs/segments/src';
import { evaluateAndRecord } from '../../../../projections/segments/segment-recording';
import { type EvaluationSummary } from '../../../../projections/segments/segment-evaluation';
import {
  customerSegments,
  listSegments,
  MEMBER_SORTS,
  segmentChanges,
  segmentMembers,
  type CustomerSegments,
  type MemberSort,
  type MembersQuery,
} from '../../../../projections/segments/segments.queries';
import { ReadModelQuery } from '../customers/customer.dtos';
import { ApiPageOrCsvResponse, streamCsv } from '../http/csv';
import { CONFIG, EVENT_STORE, PROJECTOR, READ_MODELS, SEGMENTS } from '../tokens';
import { readYourWrites } from '../http/read-your-writes';
import { CustomerSegmentsResponse, EvaluationSummaryResponse, SegmentChangesResponse, SegmentListResponse, SegmentMembersResponse } from './segment.responses';

const MEMBERS_CSV = ['customer_id', 'segment', 'since', 'revenue', 'currency', 'reason'] as const;

export class MembersParams {
  @ApiPropertyOptional({ description: 'Membership at this past instant, from the history; default the current membership.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;

  @ApiPropertyOptional({ enum: MEMBER_SORTS, default: 'customerId' }) @IsOptional() @IsIn(MEMBER_SORTS) sort?: MemberSort;
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' }) @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' }) @IsOptional() @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'cursor must be the nextCursor of a previous page' }) cursor?: string;
}

export class ChangesQuery {
  @ApiPropertyOptional({ description: 'The nextCursor of the previous call (a position); 0 or absent: from the start.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 1000 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000) limit?: number;
}

export class GetSegmentMembers {
  constructor(readonly query: MembersQuery) {}
}
export class GetCustomerSegments {
  constructor(readonly customerId: string) {}
}

abstract class SegmentsHandler {
  constructor(
    @Inject(READ_MODELS) protected readonly pool: Pool,
    @Inject(SEGMENTS) protected readonly config: SegmentConfig,
  ) {}
}

@QueryHandler(GetSegmentMembers)
export class GetSegmentMembersHandler extends SegmentsHandler implements IQueryHandler<GetSegmentMembers> {
  execute({ query }: GetSegmentMembers): ReturnType<typeof segmentMembers> {
    // Declared interest tags are open-ended; everything else must be a configured segment.
    if (!query.segment.startsWith('interest:') && !segmentCatalog(this.config).some((s) => s.segment === query.segment)) {
      throw new NotFoundException(`segment ${query.segment} not found (GET /segments lists them)`);
    }
    return segmentMembers(this.pool, query);
  }
}

@QueryHandler(GetCustomerSegments)
export class GetCustomerSegmentsHandler extends SegmentsHandler implements IQueryHandler<GetCustomerSegments, CustomerSegments> {
  async execute({ customerId }: GetCustomerSegments): Promise<CustomerSegments> {
    const segments = await customerSegments(this.pool, customerId);
    if (!segments) throw new NotFoundException(`customer ${customerId} not found`);
    return segments;
  }
}

/** Reads and the evaluation that only call their function (the list, the change feed, evaluateAndRecord) have no handler: the controller calls it. */
export const SEGMENT_HANDLERS = [GetSegmentMembersHandler, GetCustomerSegmentsHandler];

const SEGMENT_KEY = /^[a-z-]{1,40}:[^\s/]{1,100}$/;

@ApiTags('segments')
@Controller()
export class SegmentsController {
  constructor(
    private readonly queries: QueryBus,
    @Inject(PROJECTOR) private readonly projector: Projector,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(READ_MODELS) private readonly pool: Pool,
    @Inject(SEGMENTS) private readonly segments: SegmentConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Access(ACCESS.administer)
  @Post('segments/evaluate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Evaluate every segment family now, or as of ?asOf=',
    description:
      'Records the changes when asOf is not before the latest recorded evaluation; otherwise only reports (recorded: false). ' +
      'asOf must not be in the future. ?minPosition= waits (bounded) until the facts include a write at that position. ' +
      '409 segments.rate-configured when bookings are in a currency without a rate in the segments config: it names the currency and the currency.rates entry to add.',
  })
  @ApiOkResponse({ type: EvaluationSummaryResponse })
  async evaluate(@Query() query: ReadModelQuery, @Res({ passthrough: true }) res: Response): Promise<EvaluationSummary> {
    if (query.asOf !== undefined) {
      checkIsoInstant('asOf', query.asOf);
      // A recorded future instant would turn every evaluation until then into an unrecorded preview.
      if (Date.parse(query.asOf) > Date.now()) throw new InvalidInput('asOf', 'must not be in the future (history only moves forward)');
    }
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, query.minPosition, ['segment_facts']);
    return evaluateAndRecord(this.pool, this.store, this.segments, { asOf: query.asOf ?? new Date().toISOString(), trigger: 'on-demand' });
  }

  @Access(ACCESS.readAllCustomers)
  @Get('segments')
  @ApiOperation({ summary: 'Segment definitions with their member counts, and the latest evaluation' })
  @ApiOkResponse({ type: SegmentListResponse })
  list(): ReturnType<typeof listSegments> {
    return listSegments(this.pool, this.segments);
  }

  @Access(ACCESS.readAllCustomers)
  @Get('segments/changes')
  @ApiOperation({ summary: 'Every entry into and exit from a segment, in order, after a cursor' })
  @ApiOkResponse({ type: SegmentChangesResponse })
  changes(@Query() query: ChangesQuery): ReturnType<typeof segmentChanges> {
    return segmentChanges(this.pool, query.after ?? 0, query.limit ?? 1000);
  }

  @Access(ACCESS.readAllCustomers)
  @Get('segments/:segment/members')
  @ApiOperation({ summary: 'Members of a segment, now or at ?asOf=, paged and sortable; Accept: text/csv streams them all' })
  @ApiPageOrCsvResponse(SegmentMembersResponse, MEMBERS_CSV)
  async members(@Param('segment') segment: string, @Query() params: MembersParams, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!SEGMENT_KEY.test(segment)) throw new NotFoundException(`segment ${segment} not found (segments look like family:name, e.g. rfm:champions)`);
    if (params.asOf !== undefined) checkIsoInstant('asOf', params.asOf);
    const query: MembersQuery = {
      segment,
      asOf: params.asOf,
      sort: params.sort ?? 'customerId',
      descending: params.order === 'desc',
      limit: params.limit ?? 100,
      cursor: params.cursor,
    };
    if (req.accepts(['application/json', 'text/csv']) !== 'text/csv') {
      res.json(await this.queries.execute(new GetSegmentMembers(query)));
      return;
    }
    await streamCsv(
      res,
      { name: `${segment.replace(/[^A-Za-z0-9-]+/g, '_')}.csv`, header: MEMBERS_CSV },
      (cursor) => this.queries.execute<GetSegmentMembers, Awaited<ReturnType<typeof segmentMembers>>>(new GetSegmentMembers({ ...query, limit: 5000, cursor })),
      (m) => [m.customerId, segment, m.since, m.revenue, m.currency, m.reason],
    );
  }

  @Access(ACCESS.readCustomer)
  @Get('customers/:id/segments')
  @ApiOperation({ summary: "A customer's current segments, history, loyalty discount level and spend to the next one" })
  @ApiOkResponse({ type: CustomerSegmentsResponse })
  customer(@Param('id') id: string): Promise<CustomerSegments> {
    checkId('customerId', id);
    return this.queries.execute(new GetCustomerSegments(id));
  }
}
