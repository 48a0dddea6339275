import { ACCESS } from '../../../../libs/auth/src';
import { Access, principalOf } from '../auth/access';
import { Controller, Get, Inject, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, CommandHandler, QueryBus, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNumber, IsOptional, Matches, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import type { EventStore } from '../../../../libs/event-store/src';
import type { ChurnConfig, ChurnScore } from '../../../../libs/churn/src';
import { checkId, checkIsoInstant, InvalidInput } from '../../../../libs/domain/src';
import type { SegmentConfig } from '../../../../libs/segments/src';
import { fitAndRecord, scoreAndRecord } from '../../../../projections/churn/churn-recording';
import { currentFit, customerChurnRisk, NO_CHURN_MODEL, type ChurnFit, type ChurnSettings, type ScoringSummary } from '../../../../projections/churn/churn-model';
import { churnRiskPage, RISK_SORTS, type ChurnRiskQuery } from '../../../../projections/churn/churn-risk.queries';
import { ApiPageOrCsvResponse, streamCsv } from '../http/csv';
import { ErrorResponse } from '../http/error.responses';
import { ApiOkResponseOneOf } from '../http/openapi';
import { ChurnFitAnswerResponse, ChurnFitResponse, ChurnRiskPageResponse, CustomerChurnScoreResponse, CustomerNotScoredResponse } from './churn.responses';
import { CHURN, CONFIG, EVENT_STORE, PROJECTOR, READ_MODELS, SEGMENTS } from '../tokens';
import { readYourWrites } from '../http/read-your-writes';
import type { Projector } from '../../../../libs/projection-engine/src';
import type { Config } from '../../../engine/src';

export class AsOfQuery {
  @ApiPropertyOptional({ description: 'ISO 8601 instant; default now. Never in the future.', example: '2026-07-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
}

export class FitQuery extends AsOfQuery {
  @ApiPropertyOptional({ description: 'Wait (bounded) until the churn facts include a write at this global position, e.g. the last line of an import.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  minPosition?: number;
}

export class ChurnRiskParams {
  @ApiPropertyOptional({ enum: ['low', 'medium', 'high'] }) @IsOptional() @IsIn(['low', 'medium', 'high']) band?: 'low' | 'medium' | 'high';
  @ApiPropertyOptional({ description: 'Only customers whose CLV (major units of the base currency) is at least this.' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  minClv?: number;
  @ApiPropertyOptional({ enum: RISK_SORTS, default: 'risk' }) @IsOptional() @IsIn(RISK_SORTS) sort?: ChurnRiskQuery['sort'];
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' }) @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' }) @IsOptional() @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'cursor must be the nextCursor of a previous page' }) cursor?: string;
}

export class FitChurnModel {
  constructor(
    readonly cutoff: string,
    readonly actor: string,
  ) {}
}
export class GetChurnModel {}
export class GetCustomerChurnRisk {
  constructor(
    readonly customerId: string,
    readonly asOf: string,
  ) {}
}

/** A customer's risk beside the fit and currency it is in; a customer with no completed trip is not scored. */
export type CustomerChurnRisk = { customerId: string; asOf: string; fitId: number; currency: string } & (Omit<ChurnScore, 'customerId'> | { score: null; note: string });

const CHURN_RISK_CSV = ['customer_id', 'risk', 'band', 'p_alive', 'expected_trips', 'expected_value', 'clv', 'currency', 'trips', 'last_trip_at', 'reasons'] as const;

abstract class ChurnHandler {
  protected readonly settings: ChurnSettings;
  constructor(
    @Inject(READ_MODELS) protected readonly pool: Pool,
    @Inject(CHURN) churn: ChurnConfig,
    @Inject(SEGMENTS) segments: SegmentConfig,
    @Inject(EVENT_STORE) protected readonly store: EventStore,
  ) {
    this.settings = { churn, currency: segments.currency };
  }
}

@CommandHandler(FitChurnModel)
export class FitChurnModelHandler extends ChurnHandler implements ICommandHandler<FitChurnModel, { fit: ChurnFit; scoring: ScoringSummary }> {
  async execute({ cutoff, actor }: FitChurnModel): Promise<{ fit: ChurnFit; scoring: ScoringSummary }> {
    const fit = await fitAndRecord(this.pool, this.store, this.settings, { cutoff, trigger: 'on-demand', actor });
    return { fit, scoring: await scoreAndRecord(this.pool, this.store, this.settings, cutoff) };
  }
}

@QueryHandler(GetChurnModel)
export class GetChurnModelHandler extends ChurnHandler implements IQueryHandler<GetChurnModel, ChurnFit> {
  async execute(): Promise<ChurnFit> {
    const fit = await currentFit(this.pool);
    if (!fit) throw new NotFoundException(NO_CHURN_MODEL);
    return fit;
  }
}

@QueryHandler(GetCustomerChurnRisk)
export class GetCustomerChurnRiskHandler extends ChurnHandler implements IQueryHandler<GetCustomerChurnRisk, CustomerChurnRisk> {
  async execute({ customerId, asOf }: GetCustomerChurnRisk): Promise<CustomerChurnRisk> {
    const known = await this.pool.query('SELECT 1 FROM read_models.customer_overview WHERE customer_id = $1', [customerId]);
    if (!known.rowCount) throw new NotFoundException(`customer ${customerId} not found`);
    const { fit, score } = await customerChurnRisk(this.pool, this.settings, customerId, asOf);
    return {
      asOf,
      fitId: fit.fitId,
      currency: this.settings.currency.base,
      ...(score ?? { score: null, note: `no completed trip by ${asOf}: the model scores customers who have travelled` }),
      customerId,
    };
  }
}

/** The risk page only calls its query function: the controller calls it, with no handler in between. */
export const CHURN_HANDLERS = [FitChurnModelHandler, GetChurnModelHandler, GetCustomerChurnRiskHandler];

/** An instant given by the caller, or now; a future one is refused: scores and fits look back from it. */
const pastInstant = (asOf: string | undefined): string => {
  if (asOf === undefined) return new Date().toISOString();
  checkIsoInstant('asOf', asOf);
  if (Date.parse(asOf) > Date.now()) throw new InvalidInput('asOf', 'must not be in the future');
  return new Date(asOf).toISOString();
};

@ApiTags('churn')
@Controller()
export class ChurnController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(READ_MODELS) private readonly pool: Pool,
    @Inject(PROJECTOR) private readonly projector: Projector,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Access(ACCESS.administer)
  @Post('analytics/churn-model/fit')
  @ApiOperation({
    summary: 'Refit the churn model on the trips completed by ?asOf= (default now) and score every customer as of then (admin)',
    description:
      'Data that cannot identify the model answers 422 and keeps the current fit. ?minPosition= waits (bounded) until the churn facts include a write at that position; ' +
      'X-Read-Model-Stale: true says they did not in time.',
  })
  @ApiCreatedResponse({ type: ChurnFitAnswerResponse, description: 'The new fit, now the current model, and the scoring made with it.' })
  @ApiUnprocessableEntityResponse({ type: ErrorResponse, description: 'The data cannot identify the model (rule churn-model.identifiable); the current fit stays.' })
  async fit(@Query() query: FitQuery, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<{ fit: ChurnFit; scoring: ScoringSummary }> {
    const cutoff = pastInstant(query.asOf);
    // As POST /segments/evaluate: a fit right after an import sees the whole import when told where it ended.
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, query.minPosition, ['churn_facts']);
    return this.commands.execute(new FitChurnModel(cutoff, principalOf(req).id));
  }

  @Access(ACCESS.readAllCustomers)
  @Get('analytics/churn-model')
  @ApiOperation({ summary: 'The current churn model: cut-off, parameters, standard errors, log-likelihood, holdout check' })
  @ApiOkResponse({ type: ChurnFitResponse })
  model(): Promise<ChurnFit> {
    return this.queries.execute(new GetChurnModel());
  }

  @Access(ACCESS.readAllCustomers)
  @Get('churn-risk')
  @ApiOperation({ summary: 'Churn risk of every scored customer from the latest scoring, paged, by band and minimum CLV; Accept: text/csv streams them all' })
  @ApiPageOrCsvResponse(ChurnRiskPageResponse, CHURN_RISK_CSV)
  async list(@Query() params: ChurnRiskParams, @Req() req: Request, @Res() res: Response): Promise<void> {
    const query: ChurnRiskQuery = {
      band: params.band,
      minClv: params.minClv,
      sort: params.sort ?? 'risk',
      descending: params.order !== 'asc',
      limit: params.limit ?? 100,
      cursor: params.cursor,
    };
    if (req.accepts(['application/json', 'text/csv']) !== 'text/csv') {
      res.json(await churnRiskPage(this.pool, query));
      return;
    }
    let currency = '';
    await streamCsv(
      res,
      { name: 'churn-risk.csv', header: CHURN_RISK_CSV },
      async (cursor) => {
        const page = await churnRiskPage(this.pool, { ...query, limit: 5000, cursor });
        currency = page.scoring?.currency ?? '';
        return page;
      },
      (s) => [s.customerId, s.risk, s.band, s.pAlive, s.expectedTrips, s.expectedValue, s.clv, currency, s.trips, s.lastTripAt, s.reasons.map((r) => `${r.text} (+${r.points})`).join('; ')],
    );
  }

  @Access(ACCESS.readCustomer)
  @Get('customers/:id/churn-risk')
  @ApiOperation({ summary: "A customer's churn risk as of ?asOf= (default now), computed from the facts with the current model, with its reasons" })
  @ApiOkResponseOneOf('The score with its reasons; for a customer with no completed trip by asOf, score null and a note.', CustomerChurnScoreResponse, CustomerNotScoredResponse)
  customer(@Param('id') id: string, @Query() query: AsOfQuery): Promise<CustomerChurnRisk> {
    checkId('customerId', id);
    return this.queries.execute(new GetCustomerChurnRisk(id, pastInstant(query.asOf)));
  }
}
