import { ACCESS } from '../../../../libs/auth/src';
import { Access } from '../auth/access';
import { randomUUID } from 'node:crypto';
import { Body, Controller, Inject, Post, Req } from '@nestjs/common';
import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { Request } from 'express';
import { riskAlertDecider, riskAlertStreamId, RISK_SEVERITIES, type IssueRiskAlert, type RiskSeverity } from '../../../../libs/domain/src';
import { handleCommand, type EventMetadata, type EventStore, type KeyedQueue } from '../../../../libs/event-store/src';
import { IdempotentCommand, newIdFor, requestMetadata } from '../http/request-metadata';
import { COMMAND_QUEUE, EVENT_STORE } from '../tokens';

export class RiskAlertDto {
  @ApiPropertyOptional({ description: 'Your id for the alert; default a new UUID. The same alert again under its id is answered as the first time; other content under it is a 409.', example: 'ra-2026-017' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'alertId must be 1 to 64 characters of A-Z, a-z, 0-9, _ . : -' })
  alertId?: string;
  @ApiProperty({ description: 'ISO 3166-1 alpha-2', example: 'GR' }) @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as GR' }) country!: string;
  @ApiPropertyOptional({ description: 'Narrows the alert to one city; default the whole country.', example: 'Chania' }) @IsOptional() @IsString() @IsNotEmpty() city?: string;
  @ApiProperty({ description: 'First departure date concerned (YYYY-MM-DD).', example: '2026-07-10' }) @IsISO8601({ strict: true }) from!: string;
  @ApiProperty({ description: 'Last departure date concerned (YYYY-MM-DD), not before `from`.', example: '2026-07-20' }) @IsISO8601({ strict: true }) to!: string;
  @ApiProperty({ enum: RISK_SEVERITIES }) @IsIn(RISK_SEVERITIES) severity!: RiskSeverity;
  @ApiProperty({ example: 'Wildfires near Chania: coastal roads closed.' }) @IsString() @IsNotEmpty() @MaxLength(2000) message!: string;
  @ApiPropertyOptional({ description: 'ISO 8601 instant it was issued; default now.' }) @IsOptional() @IsISO8601({ strict: true }) occurredAt?: string;
}

export class IssueRiskAlertCommand {
  constructor(
    readonly command: IssueRiskAlert,
    readonly metadata: Omit<EventMetadata, 'eventId' | 'schemaVersion'>,
  ) {}
}

@CommandHandler(IssueRiskAlertCommand)
export class IssueRiskAlertHandler implements ICommandHandler<IssueRiskAlertCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(COMMAND_QUEUE) private readonly queue: KeyedQueue,
  ) {}

  async execute({ command, metadata }: IssueRiskAlertCommand): Promise<{ alertId: string; position: number | null }> {
    const result = await handleCommand(this.store, riskAlertStreamId(command.data.alertId), riskAlertDecider, command, { metadata, newId: randomUUID, queue: this.queue });
    return { alertId: command.data.alertId, position: result.position };
  }
}

@ApiTags('touchpoints')
@Controller('risk-alerts')
export class RiskAlertsController {
  constructor(private readonly commands: CommandBus) {}

  @Access(ACCESS.manage)
  @IdempotentCommand()
  @Post()
  @ApiOperation({
    summary: 'Issue a destination risk alert: every customer departing there in the period gets an urgent risk notice',
    description: 'Appends DestinationRiskAlertIssued to the stream risk-alert-<alertId>. 400 names the field (to before from, unknown severity, ...); a reused alertId is a 409, unless it is the same alert sent again (then the first answer).',
  })
  issue(@Req() req: Request, @Body() body: RiskAlertDto): Promise<{ alertId: string; position: number | null }> {
    const { occurredAt, alertId, ...alert } = body;
    const command: IssueRiskAlert = { type: 'IssueRiskAlert', data: { alertId: alertId ?? newIdFor(req, 'alertId'), ...alert }, occurredAt: occurredAt ?? new Date().toISOString() };
    return this.commands.execute(new IssueRiskAlertCommand(command, requestMetadata(req, 'api')));
  }
}
