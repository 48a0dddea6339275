import { ApiProperty, ApiPropertyOptional, getSchemaPath, type ApiPropertyOptions } from '@nestjs/swagger';
import {
  BOOKING_STATUSES,
  COMPLAINT_SEVERITIES,
  COMPLAINT_STATUSES,
  CONTACT_CHANNELS,
  type BookingState,
  type BookingStatus,
  type ComplaintSeverity,
  type ComplaintState,
  type ComplaintStatus,
  type CustomerProfile,
  type CustomerState,
  type ForgottenCustomer,
  type RegisteredCustomer,
  type SurveyState,
  type UnknownCustomer,
} from '../../../../libs/domain/src';
import type { EventMetadata, Idempotency, RecordedEvent } from '../../../../libs/event-store/src';
import { DestinationDto, MoneyDto } from './customer.dtos';
import type { CustomerEvents, CustomerStateAsOf } from './customer.queries';

/* A customer's history as the log holds it (GET /customers/:id/events, the export's lines) and the state folded from it. */

export class ActorDto {
  @ApiProperty({ example: 'ops-lead', description: "The API key's name or the token's subject." }) id!: string;
  @ApiProperty({ example: 'agent' }) role!: string;
}

export class IdempotencyDto implements Idempotency {
  @ApiProperty({ description: 'The Idempotency-Key the command was sent with.' }) key!: string;
  @ApiProperty({ description: 'SHA-256 (hex) of method, path and body: tells a retry from a reuse of the key.' }) requestHash!: string;
}

export class EventMetadataDto implements EventMetadata {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ description: 'X-Correlation-Id of the request (or the import id) that caused the event.' }) correlationId!: string;
  @ApiProperty({ description: 'The id of the command that caused the event.' }) causationId!: string;
  @ApiProperty({ type: ActorDto }) actor!: ActorDto;
  @ApiProperty({ example: 'api', description: 'api, import or system.' }) source!: string;
  @ApiProperty({ type: 'integer' }) schemaVersion!: number;
  @ApiPropertyOptional({ type: IdempotencyDto, description: 'On the events of a command sent with an Idempotency-Key.' }) idempotency?: IdempotencyDto;
}

export class RecordedEventResponse implements RecordedEvent {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ example: 'customer-c-1001' }) streamId!: string;
  @ApiProperty({ type: 'integer', description: '1-based position in the stream; the stream version once appended.' }) streamPosition!: number;
  @ApiProperty({ type: 'integer', description: 'Unique and increasing in insert order (not necessarily commit order).' }) globalPosition!: number;
  @ApiProperty({ example: 'TripBooked' }) type!: string;
  @ApiProperty({ type: 'integer', description: 'The schema version data is in: the current one of the type (older events are upcast when read).' }) schemaVersion!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The event’s fields, by type (the request body of the command that caused it, plus ids); personal fields masked for analysts and erased once the customer is forgotten.',
  })
  data!: Record<string, unknown>;
  @ApiProperty({ type: EventMetadataDto }) metadata!: EventMetadataDto;
  @ApiProperty({ format: 'date-time', description: 'When it happened in the world.' }) occurredAt!: string;
  @ApiProperty({ format: 'date-time', description: 'When the store recorded it.' }) recordedAt!: string;
  @ApiProperty({ example: '7351:1042', description: 'Opaque position in the log: GET /exports/events?after= continues right after this event.' }) checkpoint!: string;
}

export class CustomerEventsResponse implements CustomerEvents {
  @ApiProperty() customerId!: string;
  @ApiProperty({ type: [RecordedEventResponse], description: 'Oldest first.' }) events!: RecordedEventResponse[];
  @ApiProperty({ type: 'integer', nullable: true, description: 'Pass as ?fromVersion= for the next page; null on the last page.' }) nextFromVersion!: number | null;
}

export class ProfileDto implements CustomerProfile {
  @ApiProperty() name!: string;
  @ApiPropertyOptional() email?: string;
  @ApiPropertyOptional() phone?: string;
  @ApiPropertyOptional({ format: 'date' }) birthDate?: string;
  @ApiProperty() timeZone!: string;
  @ApiProperty() language!: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) preferredChannel!: (typeof CONTACT_CHANNELS)[number];
  @ApiProperty({ type: [String] }) tags!: string[];
}

export class BookingStateDto implements BookingState {
  @ApiProperty() bookingId!: string;
  @ApiProperty({ type: DestinationDto }) destination!: DestinationDto;
  @ApiProperty({ format: 'date' }) departureDate!: string;
  @ApiProperty({ format: 'date' }) returnDate!: string;
  @ApiProperty({ type: MoneyDto }) amount!: MoneyDto;
  @ApiProperty({ type: 'integer' }) travellers!: number;
  @ApiProperty() productType!: string;
  @ApiProperty() channel!: string;
  @ApiProperty({ enum: BOOKING_STATUSES }) status!: BookingStatus;
  @ApiProperty({ format: 'date-time' }) bookedAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) amendedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) cancelledAt?: string;
  @ApiPropertyOptional() cancellationReason?: string;
  @ApiPropertyOptional({ type: MoneyDto }) refund?: MoneyDto;
  @ApiPropertyOptional({ format: 'date-time' }) departedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) returnedAt?: string;
}

export class ComplaintStateDto implements ComplaintState {
  @ApiProperty() complaintId!: string;
  @ApiPropertyOptional() bookingId?: string;
  @ApiProperty() category!: string;
  @ApiProperty({ enum: COMPLAINT_SEVERITIES }) severity!: ComplaintSeverity;
  @ApiProperty({ enum: COMPLAINT_STATUSES }) status!: ComplaintStatus;
  @ApiProperty({ format: 'date-time' }) filedAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) acknowledgedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) resolvedAt?: string;
  @ApiPropertyOptional() resolution?: string;
  @ApiPropertyOptional({ type: MoneyDto }) compensation?: MoneyDto;
}

export class SurveyStateDto implements SurveyState {
  @ApiProperty() surveyId!: string;
  @ApiPropertyOptional() bookingId?: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10 }) nps!: number;
  @ApiPropertyOptional() comment?: string;
  @ApiProperty({ format: 'date-time' }) answeredAt!: string;
}

const byId = (model: new () => object, what: string): ApiPropertyOptions => ({ type: 'object', additionalProperties: { $ref: getSchemaPath(model) }, description: `${what}, keyed by id.` });

export class UnknownCustomerDto implements UnknownCustomer {
  @ApiProperty({ enum: ['unknown'], description: 'No event occurred by the instant.' }) status!: 'unknown';
}

/** What registered and forgotten customers share: everything but the status. */
abstract class CustomerRecordDto implements Omit<RegisteredCustomer, 'status'> {
  @ApiProperty() customerId!: string;
  @ApiProperty({ type: ProfileDto }) profile!: ProfileDto;
  @ApiProperty() marketingConsent!: boolean;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
  @ApiProperty(byId(BookingStateDto, 'Bookings')) bookings!: Record<string, BookingStateDto>;
  @ApiProperty(byId(ComplaintStateDto, 'Complaints')) complaints!: Record<string, ComplaintStateDto>;
  @ApiProperty(byId(SurveyStateDto, 'Survey answers')) surveys!: Record<string, SurveyStateDto>;
  @ApiProperty({ type: [String] }) interactionIds!: string[];
  @ApiPropertyOptional({ type: 'integer', description: 'NPS of the most recently answered survey.' }) lastNps?: number;
  @ApiPropertyOptional({ format: 'date-time' }) lastNpsAt?: string;
  @ApiProperty() vip!: boolean;
  @ApiPropertyOptional({ format: 'date-time' }) vipSince?: string;
  @ApiProperty({ type: [String], description: 'Touchpoints someone completed.' }) completedTouchpoints!: string[];
}

export class RegisteredCustomerDto extends CustomerRecordDto implements RegisteredCustomer {
  @ApiProperty({ enum: ['registered'] }) status!: 'registered';
}

export class ForgottenCustomerDto extends CustomerRecordDto implements ForgottenCustomer {
  @ApiProperty({ enum: ['forgotten'], description: 'Forgotten: the personal fields read as erased.' }) status!: 'forgotten';
  @ApiProperty({ format: 'date-time' }) forgottenAt!: string;
}

/** The models the state refers to by name (bookings by id, the three states): the route lists them as extra models. */
export const CUSTOMER_STATE_MODELS = [UnknownCustomerDto, RegisteredCustomerDto, ForgottenCustomerDto, BookingStateDto, ComplaintStateDto, SurveyStateDto];

export class CustomerStateResponse implements CustomerStateAsOf {
  @ApiProperty() customerId!: string;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ type: 'integer', description: 'The stream version of the last event that occurred by asOf (0: none).' }) version!: number;
  @ApiProperty({
    oneOf: [UnknownCustomerDto, RegisteredCustomerDto, ForgottenCustomerDto].map((model) => ({ $ref: getSchemaPath(model) })),
    discriminator: {
      propertyName: 'status',
      mapping: { unknown: getSchemaPath(UnknownCustomerDto), registered: getSchemaPath(RegisteredCustomerDto), forgotten: getSchemaPath(ForgottenCustomerDto) },
    },
    description: 'The write side’s state folded from the events that occurred by asOf.',
  })
  state!: CustomerState;
}
