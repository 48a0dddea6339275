import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { Pool } from 'pg';
import { ACCESS } from '../../../../libs/auth/src';
import { InvalidInput } from '../../../../libs/domain/src';
import { blindTerm, queryTerms } from '../../../../libs/privacy/src';
import { Access } from '../auth/access';
import { READ_MODELS } from '../tokens';
import { CustomerSearchResponse } from './customer.responses';

export class SearchQuery {
  @ApiProperty({ description: 'An e-mail, a phone number (its digits count), or words of a name (all must match).', example: 'maria@example.com' })
  @IsString()
  @Length(1, 200, { message: 'q must be 1 to 200 characters' })
  q!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
}

/** Finding customers through the blind index (read_models.customer_search): what is searched for is never stored. */
@ApiTags('customers')
@Controller('search')
export class CustomerSearchController {
  constructor(@Inject(READ_MODELS) private readonly pool: Pool) {}

  @Access(ACCESS.readCustomer)
  @Get('customers')
  @ApiOperation({ summary: 'Customer ids by e-mail, phone or name, through a keyed blind index; a forgotten customer is not found' })
  @ApiOkResponse({ type: CustomerSearchResponse })
  async search(@Query() { q, limit }: SearchQuery): Promise<{ customers: string[] }> {
    const terms = queryTerms(q);
    if (terms.length === 0) throw new InvalidInput('q', 'must hold a name, an e-mail or a phone number');
    const { rows: keys } = await this.pool.query<{ key: Buffer }>('SELECT key FROM privacy.search_key WHERE id = 1');
    const { rows } = await this.pool.query<{ customer_id: string }>(
      `SELECT customer_id FROM read_models.customer_search WHERE term = ANY($1)
        GROUP BY customer_id HAVING count(DISTINCT term) = $2 ORDER BY customer_id LIMIT $3`,
      [terms.map((term) => blindTerm(keys[0].key, term)), terms.length, limit ?? 20],
    );
    return { customers: rows.map((row) => row.customer_id) };
  }
}
