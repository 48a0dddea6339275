import { ACCESS } from '../../../../libs/auth/src';
import { Access } from '../auth/access';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiCreatedResponse, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { InvalidInput, checkId, checkIsoInstant, parseCustomerCommand, type CustomerCommandType } from '../../../../libs/domain/src';
import type { Projector } from '../../../../libs/projection-engine/src';
import type { Config } from '../../../engine/src';
import type { Pool } from 'pg';
import { listCustomerOverviews, type CustomerOverview } from '../../../../projections/customer-overview/customer-overview.queries';
import { CONFIG, PROJECTOR, READ_MODELS } from '../tokens';
import { readYourWrites } from '../http/read-your-writes';
import { ExecuteCustomerCommand, type CommandAnswer } from './customer-command.handler';
import {
  AcknowledgeComplaintDto,
  AmendBookingDto,
  AnswerSurveyDto,
  BookTripDto,
  CancelBookingDto,
  EventsQuery,
  FileComplaintDto,
  ListCustomersQuery,
  LogInteractionDto,
  OccurredAtDto,
  ReadModelQuery,
  RegisterCustomerDto,
  ResolveComplaintDto,
  StateQuery,
  UpdateCustomerDto,
  VipReasonDto,
} from './customer.dtos';
import { header, IdempotentCommand, newIdFor, requestMetadata } from '../http/request-metadata';
import { GetCustomerEvents, GetCustomerOverview, GetCustomerState, type CustomerEvents, type CustomerStateAsOf } from './customer.queries';
import { COMMAND_ANSWERED, CustomerOverviewPageResponse, CustomerOverviewResponse } from './customer.responses';
import { CUSTOMER_STATE_MODELS, CustomerEventsResponse, CustomerStateResponse } from './customer-history.responses';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `If-Match: 3` or `"3"`: the exact stream version the caller last read. */
const parseIfMatch = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(value);
  if (!match) throw new InvalidInput('If-Match', 'must be a stream version (a non-negative integer)');
  return Number(match[1]);
};

@ApiTags('customers')
@ApiHeader({ name: 'X-Correlation-Id', required: false, description: 'Ties together everything one request caused; default a new UUID.' })
@Controller('customers')
export class CustomersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(PROJECTOR) private readonly projector: Projector,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(READ_MODELS) private readonly pool: Pool,
  ) {}

  /** The body as it came (the DTOs only document it): parsed once, as an import line is, then decided. */
  private execute(req: Request, type: CustomerCommandType, customerId: unknown, given: unknown, ids: Record<string, string> = {}): Promise<CommandAnswer> {
    // A bare POST (.../departure) has no body at all.
    const body = given ?? {};
    const { occurredAt, ...fields } = isRecord(body) ? body : {};
    const parsed = parseCustomerCommand({ type, customerId, occurredAt: occurredAt ?? new Date().toISOString(), body: isRecord(body) ? fields : body, ids });
    if (!parsed.ok) throw parsed.error;
    const metadata = requestMetadata(req, 'api');
    return this.commands.execute(new ExecuteCustomerCommand(parsed.command, metadata, parseIfMatch(header(req, 'if-match'))));
  }

  /** ?minPosition: wait (bounded) until the customer overview, which these reads answer from, includes the caller's own write. */
  private async readYourWrites(res: Response, { minPosition, asOf }: ReadModelQuery): Promise<void> {
    if (asOf !== undefined) checkIsoInstant('asOf', asOf);
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, minPosition, ['customer_overview']);
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post()
  @ApiOperation({ summary: 'Register a customer' })
  @ApiCreatedResponse(COMMAND_ANSWERED)
  @ApiBody({ type: RegisterCustomerDto })
  register(@Req() req: Request, @Body() body: unknown): Promise<CommandAnswer> {
    const { customerId, ...profile } = isRecord(body) ? body : {};
    return this.execute(req, 'RegisterCustomer', customerId ?? newIdFor(req, 'customerId'), isRecord(body) ? profile : body);
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Patch(':id')
  @ApiOperation({ summary: 'Update profile fields and marketing consent' })
  @ApiOkResponse(COMMAND_ANSWERED)
  @ApiBody({ type: UpdateCustomerDto })
  update(@Req() req: Request, @Param('id') id: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'UpdateCustomerProfile', id, body);
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/bookings')
  @ApiOperation({ summary: 'Book a trip' })
  @ApiCreatedResponse(COMMAND_ANSWERED)
  @ApiBody({ type: BookTripDto })
  book(@Req() req: Request, @Param('id') id: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'BookTrip', id, body);
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/bookings/:bookingId/amend')
  @HttpCode(200)
  @ApiOkResponse(COMMAND_ANSWERED)
  @ApiBody({ type: AmendBookingDto })
  amend(@Req() req: Request, @Param('id') id: string, @Param('bookingId') bookingId: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'AmendBooking', id, body, { bookingId });
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/bookings/:bookingId/cancel')
  @HttpCode(200)
  @ApiOkResponse(COMMAND_ANSWERED)
  @ApiBody({ type: CancelBookingDto })
  cancel(@Req() req: Request, @Param('id') id: string, @Param('bookingId') bookingId: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'CancelBooking', id, body, { bookingId });
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/bookings/:bookingId/departure')
  @HttpCode(200)
  @ApiOkResponse(COMMAND_ANSWERED)
  @ApiBody({ type: OccurredAtDto, required: false })
  depart(@Req() req: Request, @Param('id') id: string, @Param('bookingId') bookingId: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'RecordDeparture', id, body, { bookingId });
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/bookings/:bookingId/return')
  @HttpCode(200)
  @ApiOkResponse(COMMAND_ANSWERED)
  @ApiBody({ type: OccurredAtDto, required: false })
  return(@Req() req: Request, @Param('id') id: string, @Param('bookingId') bookingId: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'RecordReturn', id, body, { bookingId });
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/complaints')
  @ApiCreatedResponse(COMMAND_ANSWERED)
  @ApiBody({ type: FileComplaintDto })
  fileComplaint(@Req() req: Request, @Param('id') id: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'FileComplaint', id, body);
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/complaints/:complaintId/acknowledge')
  @HttpCode(200)
  @ApiOkResponse(COMMAND_ANSWERED)
  @ApiBody({ type: AcknowledgeComplaintDto, required: false })
  acknowledge(@Req() req: Request, @Param('id') id: string, @Param('complaintId') complaintId: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'AcknowledgeComplaint', id, body, { complaintId });
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/complaints/:complaintId/resolve')
  @HttpCode(200)
  @ApiOkResponse(COMMAND_ANSWERED)
  @ApiBody({ type: ResolveComplaintDto })
  resolve(@Req() req: Request, @Param('id') id: string, @Param('complaintId') complaintId: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'ResolveComplaint', id, body, { complaintId });
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/surveys')
  @ApiCreatedResponse(COMMAND_ANSWERED)
  @ApiBody({ type: AnswerSurveyDto })
  answerSurvey(@Req() req: Request, @Param('id') id: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'AnswerSurvey', id, body);
  }

  @Access(ACCESS.writeCustomers)
  @IdempotentCommand()
  @Post(':id/interactions')
  @ApiCreatedResponse(COMMAND_ANSWERED)
  @ApiBody({ type: LogInteractionDto })
  logInteraction(@Req() req: Request, @Param('id') id: string, @Body() body: unknown): Promise<CommandAnswer> {
    if (!isRecord(body)) return this.execute(req, 'LogInteraction', id, body);
    const { interactionId, ...rest } = body;
    return this.execute(req, 'LogInteraction', id, Object.assign(rest, { interactionId: interactionId ?? newIdFor(req, 'interactionId') }));
  }

  @Access(ACCESS.manage)
  @IdempotentCommand()
  @Post(':id/vip')
  @ApiOperation({ summary: 'Make the customer a VIP (a person decides; the reason is kept)' })
  @ApiCreatedResponse(COMMAND_ANSWERED)
  @ApiBody({ type: VipReasonDto })
  grantVip(@Req() req: Request, @Param('id') id: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'GrantVipStatus', id, body);
  }

  @Access(ACCESS.manage)
  @IdempotentCommand()
  @Delete(':id/vip')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take VIP status back, with a reason in the body' })
  @ApiOkResponse(COMMAND_ANSWERED)
  @ApiBody({ type: VipReasonDto })
  revokeVip(@Req() req: Request, @Param('id') id: string, @Body() body: unknown): Promise<CommandAnswer> {
    return this.execute(req, 'RevokeVipStatus', id, body);
  }

  @Access(ACCESS.readAllCustomers)
  @Get()
  @ApiOperation({ summary: 'Customer overviews, paged by customer id' })
  @ApiOkResponse({ type: CustomerOverviewPageResponse })
  async list(@Query() query: ListCustomersQuery, @Res({ passthrough: true }) res: Response): Promise<{ items: CustomerOverview[]; nextCursor: string | null }> {
    await this.readYourWrites(res, query);
    return listCustomerOverviews(this.pool, query.limit ?? 50, query.cursor, query.asOf);
  }

  @Access(ACCESS.readCustomer)
  @Get(':id')
  @ApiOperation({ summary: 'The customer overview read model' })
  @ApiOkResponse({ type: CustomerOverviewResponse })
  async overview(@Param('id') id: string, @Query() query: ReadModelQuery, @Res({ passthrough: true }) res: Response): Promise<CustomerOverview> {
    checkId('customerId', id);
    await this.readYourWrites(res, query);
    return this.queries.execute(new GetCustomerOverview(id, query.asOf));
  }

  @Access(ACCESS.readCustomerLog)
  @Get(':id/events')
  @ApiOperation({ summary: "The customer's history with full metadata" })
  @ApiOkResponse({ type: CustomerEventsResponse })
  events(@Param('id') id: string, @Query() query: EventsQuery): Promise<CustomerEvents> {
    checkId('customerId', id);
    return this.queries.execute(new GetCustomerEvents(id, query.fromVersion ?? 1, query.limit ?? 100));
  }

  @Access(ACCESS.readCustomerLog)
  @Get(':id/state')
  @ApiOperation({ summary: 'The state folded from the stream up to an instant (by occurredAt)' })
  @ApiExtraModels(...CUSTOMER_STATE_MODELS)
  @ApiOkResponse({ type: CustomerStateResponse })
  state(@Param('id') id: string, @Query() query: StateQuery): Promise<CustomerStateAsOf> {
    checkId('customerId', id);
    if (query.asOf !== undefined) checkIsoInstant('asOf', query.asOf);
    return this.queries.execute(new GetCustomerState(id, query.asOf ?? new Date().toISOString()));
  }
}
