import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import { COMPLAINT_SEVERITIES, CONTACT_CHANNELS, DIRECTIONS, LIMITS, TOUCHPOINT_OUTCOMES, TRIP_PHASES } from '../../../../libs/domain/src';

/*
 * The command bodies as OpenAPI documents them. They check nothing: controllers take the body as it came and
 * parseCustomerCommand (libs/domain) checks it, as it checks an import line, so every rule is written once.
 */

const { text: TEXT, label: LABEL, name: NAME, email: EMAIL, phone: PHONE, tags: TAGS } = LIMITS;
const DATE = `A calendar date YYYY-MM-DD from ${LIMITS.firstDate} to ${LIMITS.lastDate}.`;
const tags: ApiPropertyOptions = { type: 'array', items: { type: 'string', maxLength: LABEL }, maxItems: TAGS, example: ['family', 'culture'] };
const zone = { description: 'IANA time zone.', example: 'Europe/Athens', maxLength: LIMITS.timeZone };
const language = { example: 'el', maxLength: LIMITS.language };

class WithOccurredAt {
  @ApiPropertyOptional({
    description: `ISO 8601 instant the fact happened at, from ${LIMITS.firstDate}T00:00:00Z to ${LIMITS.lastDate}T23:59:59.999Z in UTC; default now.`,
    example: '2025-06-01T09:30:00Z',
  })
  occurredAt?: string;
}

export class MoneyDto {
  @ApiProperty({ description: 'Integer minor units (cents).', example: 129900, minimum: 0, maximum: LIMITS.maxMinorUnits })
  value!: number;

  @ApiProperty({ description: 'ISO 4217 code.', example: 'EUR' })
  currency!: string;
}

export class DestinationDto {
  @ApiProperty({ description: 'ISO 3166-1 alpha-2.', example: 'GR' })
  country!: string;

  @ApiProperty({ example: 'Heraklion', maxLength: LABEL })
  city!: string;
}

export class UpdateCustomerDto extends WithOccurredAt {
  @ApiPropertyOptional({ example: 'Maria Papadopoulou', maxLength: NAME }) name?: string;
  @ApiPropertyOptional({ example: 'maria@example.com', maxLength: EMAIL }) email?: string;
  @ApiPropertyOptional({ example: '+30 210 1234567', maxLength: PHONE }) phone?: string;
  @ApiPropertyOptional({ description: DATE, example: '1984-05-17' }) birthDate?: string;
  @ApiPropertyOptional(zone) timeZone?: string;
  @ApiPropertyOptional(language) language?: string;
  @ApiPropertyOptional({ enum: CONTACT_CHANNELS }) preferredChannel?: (typeof CONTACT_CHANNELS)[number];
  @ApiPropertyOptional() marketingConsent?: boolean;
  @ApiPropertyOptional(tags) tags?: string[];
}

export class RegisterCustomerDto extends WithOccurredAt {
  @ApiPropertyOptional({ description: 'Chosen by the caller, or a new UUID.', example: 'c-1001' }) customerId?: string;
  @ApiProperty({ example: 'Maria Papadopoulou', maxLength: NAME }) name!: string;
  @ApiPropertyOptional({ example: 'maria@example.com', maxLength: EMAIL }) email?: string;
  @ApiPropertyOptional({ example: '+30 210 1234567', maxLength: PHONE }) phone?: string;
  @ApiPropertyOptional({ description: DATE, example: '1984-05-17' }) birthDate?: string;
  @ApiProperty(zone) timeZone!: string;
  @ApiProperty(language) language!: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) preferredChannel!: (typeof CONTACT_CHANNELS)[number];
  @ApiProperty() marketingConsent!: boolean;
  @ApiPropertyOptional(tags) tags?: string[];
}

export class BookTripDto extends WithOccurredAt {
  @ApiProperty({ example: 'b-2025-001' }) bookingId!: string;
  @ApiProperty({ type: DestinationDto }) destination!: DestinationDto;
  @ApiProperty({ description: DATE, example: '2025-07-01' }) departureDate!: string;
  @ApiProperty({ description: DATE, example: '2025-07-14' }) returnDate!: string;
  @ApiProperty({ type: MoneyDto }) amount!: MoneyDto;
  @ApiProperty({ example: 2, minimum: 1, maximum: 1000 }) travellers!: number;
  @ApiProperty({ example: 'package', maxLength: LABEL }) productType!: string;
  @ApiProperty({ example: 'web', maxLength: LABEL }) channel!: string;
}

export class AmendBookingDto extends WithOccurredAt {
  @ApiPropertyOptional({ description: DATE, example: '2025-07-02' }) departureDate?: string;
  @ApiPropertyOptional({ description: DATE, example: '2025-07-15' }) returnDate?: string;
  @ApiPropertyOptional({ type: MoneyDto }) amount?: MoneyDto;
}

export class CancelBookingDto extends WithOccurredAt {
  @ApiProperty({ example: 'illness', maxLength: TEXT }) reason!: string;
  @ApiPropertyOptional({ type: MoneyDto }) refund?: MoneyDto;
}

export class OccurredAtDto extends WithOccurredAt {}

/** The cause a complaint or survey answer points at (issue 19); GET /analytics/feedback/* groups by it. */
class WithCause extends WithOccurredAt {
  @ApiPropertyOptional({ description: 'The department responsible, as the company names it; not blank. Absent: not recorded.', example: 'transfers', maxLength: LABEL })
  department?: string;

  @ApiPropertyOptional({ enum: TRIP_PHASES, description: 'When, relative to the trip, it happened. Absent: not recorded.' })
  phase?: (typeof TRIP_PHASES)[number];
}

export class FileComplaintDto extends WithCause {
  @ApiProperty({ example: 'cp-17' }) complaintId!: string;
  @ApiPropertyOptional({ example: 'b-2025-001' }) bookingId?: string;
  @ApiProperty({ example: 'accommodation', maxLength: LABEL }) category!: string;
  @ApiProperty({ enum: COMPLAINT_SEVERITIES }) severity!: (typeof COMPLAINT_SEVERITIES)[number];
  @ApiProperty({ example: 'phone', maxLength: LABEL }) channel!: string;
  @ApiProperty({ example: 'Room was not as booked.', maxLength: TEXT }) description!: string;
}

export class AcknowledgeComplaintDto extends WithOccurredAt {
  @ApiPropertyOptional({ maxLength: TEXT }) note?: string;
}

export class ResolveComplaintDto extends WithOccurredAt {
  @ApiProperty({ example: 'Moved to a sea-view room and refunded one night.', maxLength: TEXT }) resolution!: string;
  @ApiPropertyOptional({ type: MoneyDto }) compensation?: MoneyDto;
}

export class AnswerSurveyDto extends WithCause {
  @ApiProperty({ example: 's-88' }) surveyId!: string;
  @ApiPropertyOptional() bookingId?: string;
  @ApiProperty({ minimum: 0, maximum: 10, example: 9 }) nps!: number;
  @ApiPropertyOptional({ maxLength: TEXT }) comment?: string;
}

export class LogInteractionDto extends WithOccurredAt {
  @ApiPropertyOptional({ description: 'Default: a new UUID.' }) interactionId?: string;
  @ApiProperty({ example: 'phone', maxLength: LABEL }) channel!: string;
  @ApiProperty({ enum: DIRECTIONS }) direction!: (typeof DIRECTIONS)[number];
  @ApiProperty({ example: 'welcome-home call', maxLength: LABEL }) topic!: string;
  @ApiProperty({ example: 'Enjoyed the trip; asks about Crete in October.', maxLength: TEXT }) summary!: string;
}

export class VipReasonDto extends WithOccurredAt {
  @ApiProperty({ example: 'Three long-haul trips a year; key account.', maxLength: TEXT }) reason!: string;
}

export class CompleteTouchpointDto extends WithOccurredAt {
  @ApiProperty({ enum: TOUCHPOINT_OUTCOMES, example: 'done' }) outcome!: (typeof TOUCHPOINT_OUTCOMES)[number];
  @ApiPropertyOptional({ example: 'Happy with the hotel; asks about Crete in October.', maxLength: TEXT }) note?: string;
}

/** ?minPosition=: read-your-writes for a read that takes no instant. */
export class MinPositionQuery {
  @ApiPropertyOptional({ description: 'Wait (bounded) until projections reach this global position.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  minPosition?: number;
}

export class ReadModelQuery extends MinPositionQuery {
  @ApiPropertyOptional({ description: 'Instant that time-dependent fields (nextDeparture) are evaluated at; default now.', example: '2025-06-10T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
}

export class ListCustomersQuery extends ReadModelQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' }) @IsOptional() @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'cursor must be a customer id' }) cursor?: string;
}

export class EventsQuery {
  @ApiPropertyOptional({ minimum: 1, default: 1 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) fromVersion?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

export class StateQuery {
  @ApiPropertyOptional({ description: 'ISO 8601 instant; default now.', example: '2025-06-10T00:00:00Z' }) @IsOptional() @IsISO8601({ strict: true }) asOf?: string;
}
