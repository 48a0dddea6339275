import { ACCESS } from '../../../../libs/auth/src';
import { Access, principalOf } from '../auth/access';
import { ConflictException, Controller, Get, Inject, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { armResult, uplift } from '../../../../libs/campaigns/src/uplift';
import { checkId, checkIsoInstant } from '../../../../libs/domain/src';
import { canHoldOut, TOUCHPOINT_KINDS } from '../../../../libs/touchpoints/src';
import { csvField } from '../http/csv';
import { campaignForResults, campaignResults } from '../../../../projections/campaigns/campaign-results.queries';
import { campaignSends, type CampaignSend } from '../../../../projections/campaigns/campaign-export.queries';
import { touchpointHoldoutCounts, type NpsCounts } from '../../../../projections/touchpoints/touchpoint-holdouts.queries';
import { screenResponse } from '../auth/personal-data';
import { CONFIG, PROJECTOR, READ_MODELS } from '../tokens';
import { MinPositionQuery, ReadModelQuery } from '../customers/customer.dtos';
import { readYourWrites } from '../http/read-your-writes';
import type { Projector } from '../../../../libs/projection-engine/src';
import type { Config } from '../../../engine/src';
import { CampaignResultsResponse, CampaignSendResponse, TouchpointHoldoutsResponse } from './campaign-results.responses';

const TOUCHPOINT_KINDS_WITH_HOLDOUTS = TOUCHPOINT_KINDS.filter(canHoldOut);

export class ResultsQuery extends ReadModelQuery {
  @ApiPropertyOptional({ description: 'Results as of this instant (conversions and assignments after it are not counted); default now.', example: '2026-06-30T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  declare asOf?: string;
}

/** What the results read: assignments, drops, bookings and answers. */
const RESULT_READ_MODELS = ['campaigns', 'customer_overview', 'churn_facts'];

export class ExportParams extends MinPositionQuery {
  @ApiPropertyOptional({ description: 'Only sends due before this instant (default: every open send).' }) @IsOptional() @IsISO8601({ strict: true }) dueBefore?: string;
}

export class HoldoutsQuery {
  @ApiProperty({ enum: TOUCHPOINT_KINDS_WITH_HOLDOUTS, example: 'welcome-home-call' }) @IsIn(TOUCHPOINT_KINDS_WITH_HOLDOUTS) kind!: string;
  @ApiPropertyOptional({ description: 'The window after each touchpoint’s due time, calendar months.', minimum: 1, maximum: 36, default: 12 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(36)
  months?: number;
  @ApiPropertyOptional({ description: 'Default now.' }) @IsOptional() @IsISO8601({ strict: true }) asOf?: string;
}

const EXPORT_COLUMNS = ['touchpoint_id', 'customer_id', 'channel', 'address', 'language', 'content_hints', 'due_at'] as const;
const PAGE = 1000;

const asOfOf = (given: string | undefined): string => {
  if (given === undefined) return new Date().toISOString();
  checkIsoInstant('asOf', given);
  return new Date(Date.parse(given)).toISOString();
};

/** The address a channel sends to: e-mail for email, the phone number for the others (sms, phone, messenger). */
const addressOf = (send: CampaignSend): string | null => (send.channel === 'email' ? send.email : send.phone);

const npsOf = (counts: NpsCounts) => ({
  answered: counts.answered,
  meanNps: counts.answered ? counts.npsSum / counts.answered : null,
  promoters: counts.promoters,
  detractors: counts.detractors,
  nps: counts.answered ? (100 * (counts.promoters - counts.detractors)) / counts.answered : null,
});

/** Campaign results and the sender's export (issue 18); the campaign commands are campaigns.controller.ts. */
@ApiTags('campaigns')
@Controller()
export class CampaignResultsController {
  constructor(
    @Inject(READ_MODELS) private readonly pool: Pool,
    @Inject(PROJECTOR) private readonly projector: Projector,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Access(ACCESS.readAllCustomers)
  @Get('campaigns/:id/results')
  @ApiOperation({
    summary: 'Results as of an instant: per arm customers, conversions, rate, revenue per customer; uplift with a 95 % interval and p-value; incremental conversions and revenue; who was dropped',
    description:
      'Method (docs/campaigns.md): difference of two proportions with an unpooled Wald 95 % interval; two-sided z-test with the pooled standard error; incremental = difference × treated customers. The interval holds for one look at one campaign: looking again and again until it excludes 0 inflates false positives. Revenue uplift has no interval.',
  })
  @ApiOkResponse({ type: CampaignResultsResponse })
  async results(@Param('id') id: string, @Query() query: ResultsQuery, @Res({ passthrough: true }) res: Response): Promise<CampaignResultsResponse> {
    checkId('campaignId', id);
    const asOf = asOfOf(query.asOf);
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, query.minPosition, RESULT_READ_MODELS);
    const results = await campaignResults(this.pool, id, asOf);
    if (!results) throw new NotFoundException(`campaign ${id} not found`);
    return results;
  }

  @Access(ACCESS.manage)
  @Get('campaigns/:id/export')
  @ApiOperation({
    summary: 'The sends of a running campaign for an SMS or e-mail gateway: its open touchpoints by due time, with the address the channel needs; Accept: text/csv or application/x-ndjson',
    description:
      'Treated customers only, with marketing consent, in the send window and the frequency cap (the touchpoint schedule decided it). 409 while the campaign is not running (defined, paused, ended). Outcomes come back through POST /touchpoints/:touchpointId/complete (sent, delivered, failed, opted-out). Every row is personal data: each customer read is in the access log.',
  })
  @ApiExtraModels(CampaignSendResponse)
  @ApiOkResponse({
    description: 'Streamed, every page; a stream cut short ended in an error.',
    content: {
      'application/x-ndjson': { schema: { $ref: getSchemaPath(CampaignSendResponse) } },
      'text/csv': { schema: { type: 'string', description: `Columns: ${EXPORT_COLUMNS.join(', ')} (content hints joined by "; ").` }, example: `${EXPORT_COLUMNS.join(',')}\n` },
    },
  })
  async export(@Param('id') id: string, @Query() params: ExportParams, @Req() req: Request, @Res() res: Response): Promise<void> {
    checkId('campaignId', id);
    if (params.dueBefore !== undefined) checkIsoInstant('dueBefore', params.dueBefore);
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, params.minPosition, ['campaigns', 'customer_overview', 'touchpoints']);
    const campaign = await campaignForResults(this.pool, id);
    if (!campaign) throw new NotFoundException(`campaign ${id} not found`);
    if (campaign.status !== 'running') throw new ConflictException(`campaign ${id} is ${campaign.status}: only a running campaign has sends to export`);
    const csv = req.accepts(['application/x-ndjson', 'text/csv']) === 'text/csv';
    const principal = principalOf(req);
    let page = await campaignSends(this.pool, { campaignId: id, dueBefore: params.dueBefore, limit: PAGE });
    res.status(200).type(csv ? 'text/csv' : 'application/x-ndjson');
    if (csv) res.attachment(`campaign-${id}.csv`).write(`${EXPORT_COLUMNS.join(',')}\n`);
    try {
      for (;;) {
        // Page by page: each page's customers are logged as read before it leaves (screenResponse).
        await screenResponse(this.pool, req, principal, page.items);
        const rows = page.items.map((send) => ({ touchpointId: send.touchpointId, customerId: send.customerId, channel: send.channel, address: addressOf(send), language: send.language, contentHints: send.contentHints, dueAt: send.dueAt }));
        const text = csv
          ? rows.map((r) => [r.touchpointId, r.customerId, r.channel, r.address, r.language, r.contentHints.join('; '), r.dueAt].map(csvField).join(',') + '\n').join('')
          : rows.map((r) => JSON.stringify(r) + '\n').join('');
        if (text && !res.write(text)) await new Promise((resolve) => res.once('drain', resolve));
        if (!page.nextCursor) break;
        page = await campaignSends(this.pool, { campaignId: id, dueBefore: params.dueBefore, limit: PAGE, cursor: page.nextCursor });
      }
      res.end();
    } catch (error) {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  @Access(ACCESS.readAllCustomers)
  @Get('analytics/touchpoint-holdouts')
  @ApiOperation({
    summary: 'What a touchpoint kind changes, against its held-out control group: repeat bookings within N months of the due time, and the next NPS answer',
    description: 'Per touchpoint (the unit the keyed hash holds out), intent to treat; only touchpoints whose window ended by asOf. Same method as campaign results (docs/campaigns.md).',
  })
  @ApiOkResponse({ type: TouchpointHoldoutsResponse })
  async holdouts(@Query() query: HoldoutsQuery): Promise<TouchpointHoldoutsResponse> {
    const asOf = asOfOf(query.asOf);
    const months = query.months ?? 12;
    const counts = await touchpointHoldoutCounts(this.pool, query.kind, months, asOf);
    const proportion = (n: NpsCounts) => ({ customers: n.answered, conversions: n.promoters, revenue: {} });
    return {
      kind: query.kind,
      months,
      asOf,
      arms: { treatment: armResult(withoutNps(counts.treatment)), control: armResult(withoutNps(counts.control)) },
      uplift: uplift(counts.treatment, counts.control),
      nextNps: {
        treatment: npsOf(counts.treatment.nps),
        control: npsOf(counts.control.nps),
        promoterUplift: uplift(proportion(counts.treatment.nps), proportion(counts.control.nps)),
      },
    };
  }
}

const withoutNps = <T extends { nps: NpsCounts }>({ nps: _nps, ...counts }: T): Omit<T, 'nps'> => counts;
