import { Controller, Get, HttpException, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { Pool } from 'pg';
import { ACCESS } from '../../../../libs/auth/src';
import { ACCESS_OUTCOMES, listAccess, type AccessRecord } from '../../../../libs/audit/src';
import { checkId, InvalidInput } from '../../../../libs/domain/src';
import { verifyHashChains, type HashChainReport } from '../../../../libs/event-store/src';
import type { Config } from '../../../engine/src';
import { actorAuditTrail, correlationAuditTrail, customerAuditTrail, type AuditTrailPage } from '../../../../projections/audit-trail/audit-trail.queries';
import { Access } from '../auth/access';
import { ErrorResponse } from '../http/error.responses';
import { ApiOkResponseOneOf } from '../http/openapi';
import { CONFIG, READ_MODELS } from '../tokens';
import { AccessLogPageResponse, AuditTrailPageResponse, HashChainBrokenResponse, HashChainsIntactResponse } from './audit.responses';

export class TrailQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' }) @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export class PeriodQuery extends TrailQuery {
  @ApiPropertyOptional({ description: 'ISO 8601 instant, inclusive.' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ description: 'ISO 8601 instant, exclusive.' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

export class AccessQuery extends PeriodQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(128) customerId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(128) actorId?: string;
  @ApiPropertyOptional({ enum: ACCESS_OUTCOMES }) @IsOptional() @IsIn(ACCESS_OUTCOMES) outcome?: (typeof ACCESS_OUTCOMES)[number];
}

const checkPeriod = ({ from, to }: PeriodQuery): void => {
  if (from !== undefined && to !== undefined && Date.parse(to) < Date.parse(from)) throw new InvalidInput('to', `must not be before from (${from})`);
};

/**
 * What auditors read (auditor and admin roles): who wrote what from the audit_trail read model, who read whose
 * personal data and who was turned away from audit.access_log, and whether the log is intact. None of these answers
 * holds personal data, so reading them is not itself an access-log entry.
 */
@ApiTags('audit')
@Access(ACCESS.audit)
@Controller('audit')
export class AuditController {
  constructor(
    @Inject(READ_MODELS) private readonly pool: Pool,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Get('customers/:id')
  @ApiOperation({ summary: "Every event of the customer's stream: type, actor, occurred and recorded times, source, correlation and causation" })
  @ApiOkResponse({ type: AuditTrailPageResponse })
  customer(@Param('id') id: string, @Query() query: TrailQuery): Promise<AuditTrailPage> {
    checkId('customerId', id);
    return customerAuditTrail(this.pool, id, { after: query.cursor, limit: query.limit ?? 100 });
  }

  @Get('correlations/:correlationId')
  @ApiOperation({ summary: 'Everything one request caused, across customers and streams' })
  @ApiOkResponse({ type: AuditTrailPageResponse })
  correlation(@Param('correlationId') correlationId: string, @Query() query: TrailQuery): Promise<AuditTrailPage> {
    if (correlationId.length > 128) throw new InvalidInput('correlationId', 'must be 1 to 128 characters');
    return correlationAuditTrail(this.pool, correlationId, { after: query.cursor, limit: query.limit ?? 100 });
  }

  @Get('actors/:actorId')
  @ApiOperation({ summary: 'What one person or service wrote, by recorded time in [from, to)' })
  @ApiOkResponse({ type: AuditTrailPageResponse })
  actor(@Param('actorId') actorId: string, @Query() query: PeriodQuery): Promise<AuditTrailPage> {
    if (actorId.length > 128) throw new InvalidInput('actorId', 'must be 1 to 128 characters');
    checkPeriod(query);
    return actorAuditTrail(this.pool, actorId, { from: query.from, to: query.to, after: query.cursor, limit: query.limit ?? 100 });
  }

  @Get('access')
  @ApiOperation({ summary: "The read-access log: who read which customer's personal data, when and through which endpoint; and every denied request" })
  @ApiOkResponse({ type: AccessLogPageResponse })
  access(@Query() query: AccessQuery): Promise<{ items: AccessRecord[]; nextCursor: string | null }> {
    checkPeriod(query);
    return listAccess(this.pool, { ...query, after: query.cursor, limit: query.limit ?? 100 });
  }

  @Get('verify')
  @ApiOperation({ summary: 'Walks the per-stream hash chains and the sealed global chain; names the first broken link, and reports events not sealed yet' })
  @ApiOkResponseOneOf('ok true: both chains intact, with the seal head and what waits to be sealed; ok false: the first broken link, named.', HashChainsIntactResponse, HashChainBrokenResponse)
  @ApiResponse({ status: 501, type: ErrorResponse, description: 'The log is in EventStoreDB: tamper evidence is kept by the PostgreSQL event store only (rule audit.postgres-only).' })
  async verify(): Promise<HashChainReport> {
    if (this.config.eventStore !== 'postgres') {
      throw new HttpException({ statusCode: 501, error: 'Not Implemented', message: 'tamper evidence is kept by the PostgreSQL event store only', rule: 'audit.postgres-only' }, 501);
    }
    return verifyHashChains(this.pool, { sealAlarmSeconds: this.config.seal.alarmSeconds });
  }
}
