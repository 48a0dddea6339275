import { ACCESS } from '../../../../libs/auth/src';
import { Access } from '../auth/access';
import { Controller, Get, Inject, NotFoundException, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';
import type { Response } from 'express';
import type { Pool } from 'pg';
import { checkId, checkIsoInstant } from '../../../../libs/domain/src';
import { DEFAULT_OFFERS, MAX_OFFERS } from '../../../../libs/offers/src';
import type { Projector } from '../../../../libs/projection-engine/src';
import type { Config } from '../../../engine/src';
import { ReadModelQuery } from '../customers/customer.dtos';
import { readYourWrites } from '../http/read-your-writes';
import { CONFIG, OFFERS, PROJECTOR, READ_MODELS } from '../tokens';
import type { OfferReader } from './offer-reader';
import { CustomerOffersResponse } from './offer.responses';

export class OffersQuery extends ReadModelQuery {
  @ApiPropertyOptional({ description: 'The instant the offers are as of; default now.', example: '2025-06-10T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  declare asOf?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_OFFERS, default: DEFAULT_OFFERS }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_OFFERS) limit?: number;
}

@ApiTags('customers')
@Controller()
export class OffersController {
  constructor(
    @Inject(OFFERS) private readonly offers: OfferReader,
    @Inject(READ_MODELS) private readonly pool: Pool,
    @Inject(PROJECTOR) private readonly projector: Projector,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Access(ACCESS.readCustomer)
  @Get('customers/:id/offers')
  @ApiOperation({
    summary: "The customer's next-trip offers as of an instant (default now), best first, each with its reasons in words",
    description: `Destination and product from what customers did after the same trips, the customer's months, party, spend and interests; places visited are shown lower; popularity for a customer without trips. ?limit= at most ${MAX_OFFERS}. ?minPosition= waits (bounded) until it includes a write at that position. docs/offers.md`,
  })
  @ApiOkResponse({ type: CustomerOffersResponse })
  async customer(@Param('id') id: string, @Query() { asOf: asOfParam, minPosition, limit }: OffersQuery, @Res({ passthrough: true }) res: Response): Promise<CustomerOffersResponse> {
    checkId('customerId', id);
    if (asOfParam !== undefined) checkIsoInstant('asOf', asOfParam);
    const asOf = new Date(asOfParam ?? Date.now()).toISOString();
    await readYourWrites(this.projector, this.config.readYourWritesTimeoutMs, res, minPosition, ['customer_overview', 'segment_facts']);
    const known = await this.pool.query('SELECT 1 FROM read_models.customer_overview WHERE customer_id = $1', [id]);
    if (!known.rowCount) throw new NotFoundException(`customer ${id} not found`);
    return this.offers.customer(id, asOf, limit ?? DEFAULT_OFFERS);
  }
}
