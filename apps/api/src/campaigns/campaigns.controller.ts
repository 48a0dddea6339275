import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { ACCESS } from '../../../../libs/auth/src';
import { newAssignmentKey } from '../../../../libs/campaigns/src';
import {
  CAMPAIGN_STATUSES,
  checkId,
  parseChangeCampaignDefinition,
  parseDefineCampaign,
  type CampaignCommand,
  type CampaignStatus,
} from '../../../../libs/domain/src';
import type { EventStore, KeyedQueue } from '../../../../libs/event-store/src';
import type { Projector } from '../../../../libs/projection-engine/src';
import { executeCampaignCommand, type CampaignAnswer } from '../../../../projections/campaigns/campaign-command';
import { campaignView, listCampaigns, type CampaignView } from '../../../../projections/campaigns/campaigns.queries';
import type { Config } from '../../../engine/src';
import { Access } from '../auth/access';
import { ReadModelQuery } from '../customers/customer.dtos';
import { readYourWrites } from '../http/read-your-writes';
import { IdempotentCommand, newIdFor, requestMetadata } from '../http/request-metadata';
import { COMMAND_QUEUE, CONFIG, EVENT_STORE, PROJECTOR, READ_MODELS } from '../tokens';
import {
  CampaignCommandResponse,
  CampaignLaunchResponse,
  CampaignListResponse,
  CampaignResponse,
  ChangeCampaignDto,
  DefineCampaignDto,
} from './campaigns.dtos';

export class CampaignListQuery extends ReadModelQuery {
  @ApiPropertyOptional({ enum: CAMPAIGN_STATUSES }) @IsOptional() @IsIn(CAMPAIGN_STATUSES) status?: CampaignStatus;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

const LIFECYCLE = { launch: 'LaunchCampaign', pause: 'PauseCampaign', resume: 'ResumeCampaign', end: 'EndCampaign' } as const;
const REFUSALS = {
  launch: 'campaign.launch-once, campaign.audience-required, campaign.ended',
  pause: 'campaign.pause-when-running, campaign.ended',
  resume: 'campaign.resume-when-paused, campaign.ended',
  end: 'campaign.ended',
} as const;

@ApiTags('campaigns')
@Controller('campaigns')
export class CampaignsController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(COMMAND_QUEUE) private readonly queue: KeyedQueue,
    @Inject(READ_MODELS) private readonly pool: Pool,
    @Inject(PROJECTOR) private readonly projector: Projector,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Access(ACCESS.manage)
  @IdempotentCommand()
  @Post()
  @ApiOperation({
    summary: 'Define a campaign: audience (segments and trip history), channel, content hints, send window, holdout share, goal and conversion window',
    description: 'Appends CampaignDefined to campaign-<campaignId>. 400 names the field and the rule; a campaignId used before is a 409 (campaign.define-once) unless it is the same definition again.',
  })
  @ApiBody({ type: DefineCampaignDto })
  @ApiCreatedResponse({ type: CampaignCommandResponse })
  define(@Req() req: Request, @Body() body: unknown): Promise<CampaignAnswer> {
    const parsed = parseDefineCampaign(body, { campaignId: newIdFor(req, 'campaignId'), occurredAt: new Date().toISOString() });
    if (!parsed.ok) throw parsed.error;
    return this.execute(parsed.command, req);
  }

  @Access(ACCESS.manage)
  @IdempotentCommand()
  @Patch(':id')
  @ApiOperation({
    summary: 'Change a campaign’s definition (only the fields given; the holdout share only before launch)',
    description: 'Appends CampaignDefinitionChanged with the fields that differ (nothing when none does: position null). 409 campaign.holdout-fixed-after-launch, campaign.audience-required (an audience naming nothing, after launch), campaign.ended; 404 for an unknown campaign.',
  })
  @ApiBody({ type: ChangeCampaignDto })
  @ApiOkResponse({ type: CampaignCommandResponse })
  change(@Req() req: Request, @Param('id') id: string, @Body() body: unknown): Promise<CampaignAnswer> {
    checkId('campaignId', id);
    const parsed = parseChangeCampaignDefinition(id, body, new Date().toISOString());
    if (!parsed.ok) throw parsed.error;
    return this.execute(parsed.command, req);
  }

  @Access(ACCESS.manage)
  @IdempotentCommand()
  @Post(':id/launch')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Launch: draw the assignment key, then assign every audience member to treatment or control (CampaignArmAssigned in each customer’s stream)',
    description: `Appends CampaignLaunched with a new assignment key, then assigns the audience in batches; customers who enter it later are assigned by the engine's schedule. 409 names the rule (${REFUSALS.launch}); 404 for an unknown campaign. Send an Idempotency-Key: a retry then gets the launch's first answer and assigns whoever the first attempt did not reach.`,
  })
  @ApiOkResponse({ type: CampaignLaunchResponse })
  launch(@Req() req: Request, @Param('id') id: string): Promise<CampaignAnswer> {
    return this.lifecycle(req, id, 'launch');
  }

  @Access(ACCESS.manage)
  @IdempotentCommand()
  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a running campaign: its open sends leave the work queue and no entrant is assigned until it resumes', description: `409: ${REFUSALS.pause}.` })
  @ApiOkResponse({ type: CampaignCommandResponse })
  pause(@Req() req: Request, @Param('id') id: string): Promise<CampaignAnswer> {
    return this.lifecycle(req, id, 'pause');
  }

  @Access(ACCESS.manage)
  @IdempotentCommand()
  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused campaign', description: `409: ${REFUSALS.resume}.` })
  @ApiOkResponse({ type: CampaignCommandResponse })
  resume(@Req() req: Request, @Param('id') id: string): Promise<CampaignAnswer> {
    return this.lifecycle(req, id, 'resume');
  }

  @Access(ACCESS.manage)
  @IdempotentCommand()
  @Post(':id/end')
  @HttpCode(200)
  @ApiOperation({ summary: 'End a campaign: nothing can be done with it afterwards; its results stay readable', description: `409: ${REFUSALS.end}.` })
  @ApiOkResponse({ type: CampaignCommandResponse })
  end(@Req() req: Request, @Param('id') id: string): Promise<CampaignAnswer> {
    return this.lifecycle(req, id, 'end');
  }

  @Access(ACCESS.readAllCustomers)
  @Get()
  @ApiOperation({ summary: 'Campaigns with their status and arm counts, newest definition first; ?minPosition= waits (bounded) until they include a write at that position' })
  @ApiOkResponse({ type: CampaignListResponse })
  async list(@Query() query: CampaignListQuery, @Res({ passthrough: true }) res: Response): Promise<{ items: CampaignView[] }> {
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, query.minPosition, ['campaigns']);
    return { items: await listCampaigns(this.pool, { status: query.status, limit: query.limit ?? 100 }) };
  }

  @Access(ACCESS.readAllCustomers)
  @Get(':id')
  @ApiOperation({ summary: 'One campaign: definition, status, when it was launched, paused and ended, and how many customers are in each arm' })
  @ApiOkResponse({ type: CampaignResponse })
  async show(@Param('id') id: string, @Query() { minPosition }: ReadModelQuery, @Res({ passthrough: true }) res: Response): Promise<CampaignView> {
    checkId('campaignId', id);
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, minPosition, ['campaigns']);
    const view = await campaignView(this.pool, id);
    if (!view) throw new NotFoundException(`campaign ${id} not found`);
    return view;
  }

  /** No CommandBus hop: the use case is one function (executeCampaignCommand), which the CLI runs too. */
  private execute(command: CampaignCommand, req: Request): Promise<CampaignAnswer> {
    return executeCampaignCommand(this.pool, this.store, command, requestMetadata(req, 'api'), { queue: this.queue });
  }

  private lifecycle(req: Request, id: string, action: keyof typeof LIFECYCLE): Promise<CampaignAnswer> {
    checkId('campaignId', id);
    const occurredAt = new Date().toISOString();
    const command = (
      action === 'launch' ? { type: LIFECYCLE.launch, data: { campaignId: id, assignmentKey: newAssignmentKey() }, occurredAt } : { type: LIFECYCLE[action], data: { campaignId: id }, occurredAt }
    ) as CampaignCommand;
    return this.execute(command, req);
  }
}
