import { ACCESS } from '../../../../libs/auth/src';
import { Access, principalOf } from '../auth/access';
import { screenResponse } from '../auth/personal-data';
import { Body, Controller, Get, Inject, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { checkId, checkIsoInstant, InvalidInput, isId, parseCustomerCommand } from '../../../../libs/domain/src';
import {
  customerTouchpoints,
  QUEUE_STATUSES,
  touchpoint,
  touchpointCalendar,
  touchpointQueue,
  type QueueQuery,
  type QueueStatus,
  type TouchpointRow,
} from '../../../../projections/touchpoints/touchpoints.queries';
import { ExecuteCustomerCommand, type CommandAnswer } from '../customers/customer-command.handler';
import { CompleteTouchpointDto, ReadModelQuery } from '../customers/customer.dtos';
import { ApiPageOrCsvResponse, streamCsv } from '../http/csv';
import { CustomerTouchpointsResponse, TouchpointCalendarResponse, TouchpointCompletedResponse, TouchpointQueueResponse } from './touchpoint.responses';
import { IdempotentCommand, requestMetadata } from '../http/request-metadata';
import { CONFIG, OFFERS, PROJECTOR, READ_MODELS } from '../tokens';
import type { OfferReader } from '../offers/offer-reader';
import { readYourWrites } from '../http/read-your-writes';
import type { Projector } from '../../../../libs/projection-engine/src';
import type { Config } from '../../../engine/src';

/** With ReadModelQuery's minPosition: the queue after a completion includes it (read-your-writes). */
export class QueueParams extends ReadModelQuery {
  @ApiPropertyOptional({ enum: QUEUE_STATUSES, description: 'overdue = open and due before asOf' }) @IsOptional() @IsIn(QUEUE_STATUSES) status?: QueueStatus;
  @ApiPropertyOptional({ description: 'Only touchpoints due before this instant.' }) @IsOptional() @IsISO8601({ strict: true }) dueBefore?: string;
  @ApiPropertyOptional({ description: 'Only touchpoints due at or after this instant.' }) @IsOptional() @IsISO8601({ strict: true }) dueAfter?: string;
  @ApiPropertyOptional({ example: 'phone' }) @IsOptional() @IsString() @IsNotEmpty() channel?: string;
  @ApiPropertyOptional({ example: 'welcome-home-call' }) @IsOptional() @IsString() @IsNotEmpty() kind?: string;
  @ApiPropertyOptional({ description: 'The instant overdue is judged at; default now.' }) @IsOptional() @IsISO8601({ strict: true }) declare asOf?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' }) @IsOptional() @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'cursor must be the nextCursor of a previous page' }) cursor?: string;
}

export class CalendarParams {
  @ApiPropertyOptional({ description: 'First UTC instant (default: today 00:00 UTC).' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ description: 'End, exclusive (default: 31 days after from; at most 366 days).' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

const QUEUE_CSV = [
  'touchpoint_id', 'customer_id', 'kind', 'phase', 'due_at', 'status', 'overdue', 'urgent', 'channel', 'language', 'booking_id', 'complaint_id', 'alert_id', 'content_hints', 'reason', 'completed_at', 'completed_by', 'outcome', 'offer_hints',
] as const;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const instant = (field: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  checkIsoInstant(field, value);
  return Date.parse(value);
};

@ApiTags('touchpoints')
@Controller()
export class TouchpointsController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(READ_MODELS) private readonly pool: Pool,
    @Inject(PROJECTOR) private readonly projector: Projector,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(OFFERS) private readonly offers: OfferReader,
  ) {}

  @Access(ACCESS.readWorkQueue)
  @Get('touchpoints')
  @ApiOperation({ summary: 'The work queue: touchpoints by due time, by status (open, overdue, done, skipped, cancelled), due window, channel and kind; open campaign touchpoints only while their campaign runs; Accept: text/csv streams them all' })
  @ApiPageOrCsvResponse(TouchpointQueueResponse, QUEUE_CSV)
  async queue(@Query() { minPosition, ...params }: QueueParams, @Req() req: Request, @Res() res: Response): Promise<void> {
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, minPosition, ['touchpoints']);
    const asOf = new Date(instant('asOf', params.asOf, Date.now())).toISOString();
    if (params.dueBefore !== undefined) checkIsoInstant('dueBefore', params.dueBefore);
    if (params.dueAfter !== undefined) checkIsoInstant('dueAfter', params.dueAfter);
    const query: QueueQuery = { ...params, asOf, limit: params.limit ?? 100 };
    if (req.accepts(['application/json', 'text/csv']) !== 'text/csv') {
      const found = await touchpointQueue(this.pool, query);
      // Offers are attached as the rows are read, never projected (offer-reader.ts).
      const page = { ...found, items: await this.offers.withHints(found.items, asOf) };
      // Completion notes are personal data: masked for analysts, logged for everyone else (the interceptor skips @Res).
      await screenResponse(this.pool, req, principalOf(req), page);
      res.json(page);
      return;
    }
    await streamCsv(
      res,
      {
        name: 'touchpoints.csv',
        header: QUEUE_CSV,
      },
      // A sender working from the file needs the offers as much as one working the page: each page of 5,000 rows
      // with its customers' offers.
      async (cursor) => {
        const found = await touchpointQueue(this.pool, { ...query, limit: 5000, cursor });
        return { ...found, items: await this.offers.withHints(found.items, asOf) };
      },
      (t) => [t.touchpointId, t.customerId, t.kind, t.phase, t.dueAt, t.status, String(t.overdue), String(t.urgent), t.channel, t.language, t.bookingId, t.complaintId, t.alertId, t.contentHints.join('; '), t.reason, t.completedAt, t.completedBy, t.outcome, t.offerHints.join(' | ')],
    );
  }

  @Access(ACCESS.readWorkQueue)
  @Get('touchpoints/calendar')
  @ApiOperation({ summary: 'Touchpoints per UTC day and kind in [from, to), by status' })
  @ApiOkResponse({ type: TouchpointCalendarResponse })
  async calendar(@Query() params: CalendarParams): Promise<{ from: string; to: string; days: Awaited<ReturnType<typeof touchpointCalendar>> }> {
    const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    const from = instant('from', params.from, today);
    const to = instant('to', params.to, from + 31 * 86_400_000);
    if (to <= from) throw new InvalidInput('to', 'must be after from');
    if (to - from > 366 * 86_400_000) throw new InvalidInput('to', 'must be at most 366 days after from');
    const [fromIso, toIso] = [new Date(from).toISOString(), new Date(to).toISOString()];
    return { from: fromIso, to: toIso, days: await touchpointCalendar(this.pool, fromIso, toIso) };
  }

  @Access(ACCESS.readCustomer)
  @Get('customers/:id/touchpoints')
  @ApiOperation({ summary: "A customer's whole schedule by due time, with who completed what; ?minPosition= waits (bounded) until it includes a write at that position" })
  @ApiOkResponse({ type: CustomerTouchpointsResponse })
  async customer(
    @Param('id') id: string,
    @Query() { asOf: asOfParam, minPosition }: ReadModelQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ customerId: string; asOf: string; touchpoints: (TouchpointRow & { overdue: boolean; offerHints: string[] })[] }> {
    checkId('customerId', id);
    const asOf = new Date(instant('asOf', asOfParam, Date.now())).toISOString();
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, minPosition, ['customer_overview', 'touchpoints']);
    const known = await this.pool.query('SELECT 1 FROM read_models.customer_overview WHERE customer_id = $1', [id]);
    if (!known.rowCount) throw new NotFoundException(`customer ${id} not found`);
    return { customerId: id, asOf, touchpoints: await this.offers.withHints(await customerTouchpoints(this.pool, id, asOf), asOf) };
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post('touchpoints/:touchpointId/complete')
  @ApiOperation({
    summary: 'Record that a touchpoint was made (done|no-answer|skipped) or what a sending gateway reported (sent|delivered|failed|opted-out), with an optional note; appends TouchpointCompleted to the customer stream with the actor',
    description: '404 for an unknown touchpoint, 409 for a cancelled one (rule touchpoint.cancelled), one held out as its kind\'s control group (touchpoint.held-out) or one completed before (touchpoint.already-completed): a touchpoint takes one outcome, so a gateway reports its last word (delivered, failed, opted-out) or sent when it learns no more.',
  })
  @ApiBody({ type: CompleteTouchpointDto })
  @ApiCreatedResponse({ type: TouchpointCompletedResponse, description: 'Recorded: the stream version and the position to read your own write at.' })
  async complete(@Req() req: Request, @Param('touchpointId') touchpointId: string, @Body() given: unknown): Promise<CommandAnswer & { touchpointId: string }> {
    // The read model only says whose touchpoint it is (an id names no customer, and never changes customer); whether
    // it may be completed is decided on the write side, from the customer's stream, as for an imported completion.
    const found = isId(touchpointId) ? await touchpoint(this.pool, touchpointId) : undefined;
    const body = given ?? {};
    const { occurredAt, ...fields } = isRecord(body) ? body : {};
    const parsed = parseCustomerCommand({
      type: 'CompleteTouchpoint',
      // Stands in for the customer of an unknown touchpoint, so the input is judged first (400), then the 404.
      customerId: found?.customerId ?? 'unknown',
      occurredAt: occurredAt ?? new Date().toISOString(),
      body: isRecord(body) ? fields : body,
      ids: { touchpointId },
    });
    if (!parsed.ok) throw parsed.error;
    if (!found) throw new NotFoundException(`touchpoint ${touchpointId} not found`);
    const answer: CommandAnswer = await this.commands.execute(new ExecuteCustomerCommand(parsed.command, requestMetadata(req, 'api')));
    return { ...answer, touchpointId };
  }
}
