import { ACCESS } from '../../../../libs/auth/src';
import { Access } from '../auth/access';
import { randomUUID } from 'node:crypto';
import { Body, Controller, Inject, Post, Req } from '@nestjs/common';
import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ApiBody, ApiCreatedResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { LIMITS, parseIssueRiskAlert, riskAlertDecider, riskAlertStreamId, RISK_SEVERITIES, type IssueRiskAlert, type RiskSeverity } from '../../../../libs/domain/src';
import { handleCommand, type EventMetadata, type EventStore, type KeyedQueue } from '../../../../libs/event-store/src';
import { IdempotentCommand, newIdFor, requestMetadata } from '../http/request-metadata';
import { COMMAND_QUEUE, EVENT_STORE } from '../tokens';
import { RiskAlertIssuedResponse } from './touchpoint.responses';

/** The body as OpenAPI documents it. It checks nothing: parseIssueRiskAlert (libs/domain) does, from the same LIMITS. */
export class RiskAlertDto {
  @ApiPropertyOptional({ description: 'Your id for the alert; default a new UUID. The same alert again under its id is answered as the first time; other content under it is a 409.', example: 'ra-2026-017', maxLength: 64 })
  alertId?: string;
  @ApiProperty({ description: 'ISO 3166-1 alpha-2', example: 'GR' }) country!: string;
  @ApiPropertyOptional({ description: 'Narrows the alert to one city; default the whole country.', example: 'Chania', maxLength: LIMITS.label }) city?: string;
  @ApiProperty({ description: `First departure date concerned (YYYY-MM-DD, ${LIMITS.firstDate} to ${LIMITS.lastDate}).`, example: '2026-07-10' }) from!: string;
  @ApiProperty({ description: 'Last departure date concerned (YYYY-MM-DD), not before `from`.', example: '2026-07-20' }) to!: string;
  @ApiProperty({ enum: RISK_SEVERITIES }) severity!: RiskSeverity;
  @ApiProperty({ example: 'Wildfires near Chania: coastal roads closed.', maxLength: LIMITS.text }) message!: string;
  @ApiPropertyOptional({ description: `ISO 8601 instant it was issued, from ${LIMITS.firstDate}T00:00:00Z to ${LIMITS.lastDate}T23:59:59.999Z in UTC; default now.` }) occurredAt?: string;
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
  @ApiBody({ type: RiskAlertDto })
  @ApiCreatedResponse({ type: RiskAlertIssuedResponse })
  issue(@Req() req: Request, @Body() body: unknown): Promise<{ alertId: string; position: number | null }> {
    const parsed = parseIssueRiskAlert(body, { alertId: newIdFor(req, 'alertId'), occurredAt: new Date().toISOString() });
    if (!parsed.ok) throw parsed.error;
    return this.commands.execute(new IssueRiskAlertCommand(parsed.command, requestMetadata(req, 'api')));
  }
}
