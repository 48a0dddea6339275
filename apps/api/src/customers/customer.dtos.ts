import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsNotEmptyObject,
  IsObject,
  IsOptional,
  Matches,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { COMPLAINT_SEVERITIES, CONTACT_CHANNELS, DIRECTIONS, TOUCHPOINT_OUTCOMES } from '../../../../libs/domain/src';

/*
 * The HTTP shapes. These check types and presence; the domain (libs/domain) checks the business rules
 * (IANA zones, ISO 4217 currencies, date order...), and both answer 400 naming the field and the rule.
 */

const TEXT = 2000;

class WithOccurredAt {
  @ApiPropertyOptional({ description: 'ISO 8601 instant the fact happened at; default now.', example: '2025-06-01T09:30:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  occurredAt?: string;
}

export class MoneyDto {
  @ApiProperty({ description: 'Integer minor units (cents).', example: 129900 })
  @IsInt()
  @Min(0)
  value!: number;

  @ApiProperty({ description: 'ISO 4217 code.', example: 'EUR' })
  @IsString()
  currency!: string;
}

export class DestinationDto {
  @ApiProperty({ description: 'ISO 3166-1 alpha-2.', example: 'GR' })
  @IsString()
  country!: string;

  @ApiProperty({ example: 'Heraklion' })
  @IsString()
  @IsNotEmpty()
  city!: string;
}

export class UpdateCustomerDto extends WithOccurredAt {
  @ApiPropertyOptional({ example: 'Maria Papadopoulou' }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) name?: string;
  @ApiPropertyOptional({ example: 'maria@example.com' }) @IsOptional() @IsString() @MaxLength(320) email?: string;
  @ApiPropertyOptional({ example: '+30 210 1234567' }) @IsOptional() @IsString() @MaxLength(40) phone?: string;
  @ApiPropertyOptional({ example: '1984-05-17' }) @IsOptional() @IsString() birthDate?: string;
  @ApiPropertyOptional({ description: 'IANA time zone.', example: 'Europe/Athens' }) @IsOptional() @IsString() timeZone?: string;
  @ApiPropertyOptional({ example: 'el' }) @IsOptional() @IsString() language?: string;
  @ApiPropertyOptional({ enum: CONTACT_CHANNELS }) @IsOptional() @IsIn(CONTACT_CHANNELS) preferredChannel?: (typeof CONTACT_CHANNELS)[number];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() marketingConsent?: boolean;
  @ApiPropertyOptional({ type: [String], example: ['family', 'culture'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  tags?: string[];
}

export class RegisterCustomerDto extends WithOccurredAt {
  @ApiPropertyOptional({ description: 'Chosen by the caller, or a new UUID.', example: 'c-1001' }) @IsOptional() @IsString() customerId?: string;
  @ApiProperty({ example: 'Maria Papadopoulou' }) @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @ApiPropertyOptional({ example: 'maria@example.com' }) @IsOptional() @IsString() @MaxLength(320) email?: string;
  @ApiPropertyOptional({ example: '+30 210 1234567' }) @IsOptional() @IsString() @MaxLength(40) phone?: string;
  @ApiPropertyOptional({ example: '1984-05-17' }) @IsOptional() @IsString() birthDate?: string;
  @ApiProperty({ description: 'IANA time zone.', example: 'Europe/Athens' }) @IsString() timeZone!: string;
  @ApiProperty({ example: 'el' }) @IsString() language!: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) @IsIn(CONTACT_CHANNELS) preferredChannel!: (typeof CONTACT_CHANNELS)[number];
  @ApiProperty() @IsBoolean() marketingConsent!: boolean;
  @ApiPropertyOptional({ type: [String], example: ['family'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  tags?: string[];
}

export class BookTripDto extends WithOccurredAt {
  @ApiProperty({ example: 'b-2025-001' }) @IsString() @IsNotEmpty() bookingId!: string;
  @ApiProperty({ type: DestinationDto }) @IsObject() @IsNotEmptyObject() @ValidateNested() @Type(() => DestinationDto) destination!: DestinationDto;
  @ApiProperty({ example: '2025-07-01' }) @IsString() departureDate!: string;
  @ApiProperty({ example: '2025-07-14' }) @IsString() returnDate!: string;
  @ApiProperty({ type: MoneyDto }) @IsObject() @ValidateNested() @Type(() => MoneyDto) amount!: MoneyDto;
  @ApiProperty({ example: 2 }) @IsInt() @Min(1) @Max(1000) travellers!: number;
  @ApiProperty({ example: 'package' }) @IsString() @IsNotEmpty() productType!: string;
  @ApiProperty({ example: 'web' }) @IsString() @IsNotEmpty() channel!: string;
}

export class AmendBookingDto extends WithOccurredAt {
  @ApiPropertyOptional({ example: '2025-07-02' }) @IsOptional() @IsString() departureDate?: string;
  @ApiPropertyOptional({ example: '2025-07-15' }) @IsOptional() @IsString() returnDate?: string;
  @ApiPropertyOptional({ type: MoneyDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => MoneyDto) amount?: MoneyDto;
}

export class CancelBookingDto extends WithOccurredAt {
  @ApiProperty({ example: 'illness' }) @IsString() @IsNotEmpty() @MaxLength(TEXT) reason!: string;
  @ApiPropertyOptional({ type: MoneyDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => MoneyDto) refund?: MoneyDto;
}

export class OccurredAtDto extends WithOccurredAt {}

export class FileComplaintDto extends WithOccurredAt {
  @ApiProperty({ example: 'cp-17' }) @IsString() @IsNotEmpty() complaintId!: string;
  @ApiPropertyOptional({ example: 'b-2025-001' }) @IsOptional() @IsString() bookingId?: string;
  @ApiProperty({ example: 'accommodation' }) @IsString() @IsNotEmpty() category!: string;
  @ApiProperty({ enum: COMPLAINT_SEVERITIES }) @IsIn(COMPLAINT_SEVERITIES) severity!: (typeof COMPLAINT_SEVERITIES)[number];
  @ApiProperty({ example: 'phone' }) @IsString() @IsNotEmpty() channel!: string;
  @ApiProperty({ example: 'Room was not as booked.' }) @IsString() @IsNotEmpty() @MaxLength(TEXT) description!: string;
}

export class AcknowledgeComplaintDto extends WithOccurredAt {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(TEXT) note?: string;
}

export class ResolveComplaintDto extends WithOccurredAt {
  @ApiProperty({ example: 'Moved to a sea-view room and refunded one night.' }) @IsString() @IsNotEmpty() @MaxLength(TEXT) resolution!: string;
  @ApiPropertyOptional({ type: MoneyDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => MoneyDto) compensation?: MoneyDto;
}

export class AnswerSurveyDto extends WithOccurredAt {
  @ApiProperty({ example: 's-88' }) @IsString() @IsNotEmpty() surveyId!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() bookingId?: string;
  @ApiProperty({ minimum: 0, maximum: 10, example: 9 }) @IsInt() @Min(0) @Max(10) nps!: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(TEXT) comment?: string;
}

export class LogInteractionDto extends WithOccurredAt {
  @ApiPropertyOptional({ description: 'Default: a new UUID.' }) @IsOptional() @IsString() interactionId?: string;
  @ApiProperty({ example: 'phone' }) @IsString() @IsNotEmpty() channel!: string;
  @ApiProperty({ enum: DIRECTIONS }) @IsIn(DIRECTIONS) direction!: (typeof DIRECTIONS)[number];
  @ApiProperty({ example: 'welcome-home call' }) @IsString() @IsNotEmpty() topic!: string;
  @ApiProperty({ example: 'Enjoyed the trip; asks about Crete in October.' }) @IsString() @IsNotEmpty() @MaxLength(TEXT) summary!: string;
}

export class VipReasonDto extends WithOccurredAt {
  @ApiProperty({ example: 'Three long-haul trips a year; key account.' }) @IsString() @IsNotEmpty() @MaxLength(TEXT) reason!: string;
}

export class CompleteTouchpointDto extends WithOccurredAt {
  @ApiProperty({ enum: TOUCHPOINT_OUTCOMES, example: 'done' }) @IsIn(TOUCHPOINT_OUTCOMES) outcome!: (typeof TOUCHPOINT_OUTCOMES)[number];
  @ApiPropertyOptional({ example: 'Happy with the hotel; asks about Crete in October.' }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(TEXT) note?: string;
}

export class ReadModelQuery {
  @ApiPropertyOptional({ description: 'Instant that time-dependent fields (nextDeparture) are evaluated at; default now.', example: '2025-06-10T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;

  @ApiPropertyOptional({ description: 'Wait (bounded) until projections reach this global position.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  minPosition?: number;
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
