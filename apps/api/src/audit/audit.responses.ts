import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { ACCESS_OUTCOMES, type AccessOutcome, type AccessRecord } from '../../../../libs/audit/src';
import type { ChainName, HashChainBroken, HashChainsIntact } from '../../../../libs/event-store/src';
import type { AuditTrailEntry, AuditTrailPage } from '../../../../projections/audit-trail/audit-trail.queries';

/* What auditors read: the audit trail (metadata of events, never their data), the read-access log, and the verification of the log. */

const NEXT_CURSOR: ApiPropertyOptions = { type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page.' };
const nullable = (type: StringConstructor | 'integer', description?: string): ApiPropertyOptions => ({ type, nullable: true, ...(description && { description }) });

export class AuditTrailEntryDto implements AuditTrailEntry {
  @ApiProperty({ type: 'integer' }) globalPosition!: number;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ example: 'customer-c-1001' }) streamId!: string;
  @ApiProperty(nullable(String, 'Null for streams about no customer (risk alerts, the engine’s schedules).')) customerId!: string | null;
  @ApiProperty({ type: 'integer' }) streamPosition!: number;
  @ApiProperty({ example: 'TripBooked' }) type!: string;
  @ApiProperty({ type: 'integer' }) schemaVersion!: number;
  @ApiProperty(nullable(String)) actorId!: string | null;
  @ApiProperty(nullable(String)) actorRole!: string | null;
  @ApiProperty(nullable(String, 'api, import or system.')) source!: string | null;
  @ApiProperty(nullable(String)) correlationId!: string | null;
  @ApiProperty(nullable(String)) causationId!: string | null;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ format: 'date-time' }) recordedAt!: string;
}

export class AuditTrailPageResponse implements AuditTrailPage {
  @ApiProperty({ type: [AuditTrailEntryDto] }) items!: AuditTrailEntryDto[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}

export class AccessRecordDto implements AccessRecord {
  @ApiProperty({ type: 'integer' }) id!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty(nullable(String, 'Null when the caller was not authenticated.')) actorId!: string | null;
  @ApiProperty(nullable(String)) actorRole!: string | null;
  @ApiProperty({ example: 'GET /customers/:id', description: 'Method and route pattern.' }) endpoint!: string;
  @ApiProperty(nullable(String, 'Whose personal data was read; null for a denial.')) customerId!: string | null;
  @ApiProperty({ enum: ACCESS_OUTCOMES }) outcome!: AccessOutcome;
  @ApiProperty({ type: 'integer', example: 200, description: 'The HTTP status answered.' }) status!: number;
  @ApiProperty(nullable(String)) correlationId!: string | null;
}

export class AccessLogPageResponse {
  @ApiProperty({ type: [AccessRecordDto], description: 'Newest first.' }) items!: AccessRecordDto[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}

export class SealHeadDto {
  @ApiProperty({ type: 'integer', description: 'Seals so far.' }) seq!: number;
  @ApiProperty({ type: 'integer', description: 'Global position of the last sealed event.' }) position!: number;
  @ApiProperty({ description: "The last seal's hash (hex); '' before the first." }) hash!: string;
}

export class PendingSealsDto {
  @ApiProperty({ type: 'integer', description: 'Committed events not sealed yet.' }) events!: number;
  @ApiProperty({ type: 'number', description: 'Age of the oldest of them.' }) oldestSeconds!: number;
}

export class HashChainsIntactResponse implements HashChainsIntact {
  @ApiProperty({ enum: [true] }) ok!: true;
  @ApiProperty({ type: 'integer', description: 'Events verified.' }) events!: number;
  @ApiProperty({ type: 'integer', description: 'Streams verified from their first event.' }) streams!: number;
  @ApiProperty({ type: SealHeadDto }) head!: SealHeadDto;
  @ApiProperty({ type: PendingSealsDto }) pending!: PendingSealsDto;
}

export class HashChainBrokenResponse implements HashChainBroken {
  @ApiProperty({ enum: [false] }) ok!: false;
  @ApiProperty({ enum: ['stream', 'global'], description: "The chain with the first broken link: a stream's, or the sealed global one." }) chain!: ChainName;
  @ApiProperty(nullable(String, 'The event whose link fails; null where no event can be named (seals or the head removed or altered).')) streamId!: string | null;
  @ApiProperty(nullable('integer')) streamPosition!: number | null;
  @ApiProperty({ type: 'integer' }) globalPosition!: number;
  @ApiProperty(nullable(String)) eventId!: string | null;
  @ApiProperty({ description: 'What is wrong, for a person.' }) reason!: string;
}
