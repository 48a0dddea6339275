import { ApiProperty, type ApiResponseOptions } from '@nestjs/swagger';
import { CONTACT_CHANNELS } from '../../../../libs/domain/src';
import type { CustomerOverview } from '../../../../projections/customer-overview/customer-overview.queries';
import type { CommandAnswer } from './customer-command.handler';

/*
 * What the customer routes answer, as OpenAPI documents it. Each class implements the type its handler returns, so
 * the compiler names a field the description lacks. Personal fields read "[masked]" for analysts and "[erased]" once
 * the customer is forgotten.
 */

export class CommandAnswerResponse implements CommandAnswer {
  @ApiProperty({ example: 'c-1001' }) customerId!: string;
  @ApiProperty({ type: 'integer', example: 3, description: "The stream's version after the command: send it as If-Match to make the next command conditional." }) version!: number;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 1042,
    description: 'Global position of the last event written; pass it as ?minPosition= to read your own write. Null when nothing changed.',
  })
  position!: number | null;
}

/** Every customer command's success answer (201 when it records something new, 200 when it changes what exists). */
export const COMMAND_ANSWERED: ApiResponseOptions = { type: CommandAnswerResponse, description: 'Done: the stream version and the position to read your own write at. A retry with the same Idempotency-Key gets the first answer.' };

export class ComplaintCountsDto {
  @ApiProperty({ type: 'integer' }) open!: number;
  @ApiProperty({ type: 'integer' }) total!: number;
}

export class CustomerOverviewResponse implements CustomerOverview {
  @ApiProperty({ example: 'c-1001' }) customerId!: string;
  @ApiProperty({ example: 'Maria Papadopoulou' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'maria@example.com' }) email!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '+30 210 1234567' }) phone!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date', example: '1984-05-17' }) birthDate!: string | null;
  @ApiProperty({ example: 'Europe/Athens' }) timeZone!: string;
  @ApiProperty({ example: 'el' }) language!: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) preferredChannel!: string;
  @ApiProperty() marketingConsent!: boolean;
  @ApiProperty({ type: [String], example: ['family', 'culture'] }) tags!: string[];
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
  @ApiProperty({ type: 'integer' }) bookings!: number;
  @ApiProperty({ type: 'integer', description: 'Trips returned from.' }) trips!: number;
  @ApiProperty({ type: 'integer' }) cancellations!: number;
  @ApiProperty({ type: ComplaintCountsDto }) complaints!: ComplaintCountsDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { EUR: 250000 },
    description: 'Revenue per booking currency, in minor units of each.',
  })
  revenue!: Record<string, number>;
  @ApiProperty({ type: String, nullable: true, format: 'date' }) firstTripDate!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date' }) lastTripDate!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, minimum: 0, maximum: 10 }) lastNps!: number | null;
  @ApiProperty() vip!: boolean;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) vipSince!: string | null;
  @ApiProperty({ description: 'Forgotten (right to erasure): the personal fields read as erased, the facts still count.' }) erased!: boolean;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) erasedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date', description: 'The first booked trip departing on or after ?asOf= (default now), in the customer’s time zone.' })
  nextDeparture!: string | null;
  @ApiProperty({ format: 'date-time' }) lastEventAt!: string;
  @ApiProperty({ type: 'integer', description: 'The stream version the overview has applied.' }) version!: number;
}

export class CustomerOverviewPageResponse {
  @ApiProperty({ type: [CustomerOverviewResponse] }) items!: CustomerOverviewResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page.' }) nextCursor!: string | null;
}

export class CustomerSearchResponse {
  @ApiProperty({ type: [String], example: ['c-1001'], description: 'Ids of the customers found, by id; a forgotten customer is never among them.' }) customers!: string[];
}
