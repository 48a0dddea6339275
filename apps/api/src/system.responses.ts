import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { LeaseOwner, ProjectionStatus, StoppedAt } from '../../../libs/projection-engine/src';
import type { SealStatus } from '../../../libs/event-store/src';

/* What /health and /projections answer. */

export type Seal = SealStatus & { state: 'ok' | 'alarm' };
export type StoppedReadModel = { name: string; position: number; type: string; error: string };
export interface Health {
  status: 'ok' | 'degraded';
  database: 'ok';
  stoppedReadModels?: StoppedReadModel[];
  seal: Pick<Seal, 'state' | 'unsealed' | 'lagSeconds'> | null;
}

const SEAL_STATE = { enum: ['ok', 'alarm'], description: `alarm once an event has waited longer than SEAL_ALARM_SECONDS to be sealed.` } as const;

export class StoppedReadModelDto implements StoppedReadModel {
  @ApiProperty({ example: 'customer_overview' }) name!: string;
  @ApiProperty({ type: 'integer', description: 'Global position of the first event it stopped at.' }) position!: number;
  @ApiProperty({ example: 'TripBooked' }) type!: string;
  @ApiProperty() error!: string;
}

export class SealLagDto {
  @ApiProperty(SEAL_STATE) state!: 'ok' | 'alarm';
  @ApiProperty({ type: 'integer', description: 'Committed events not sealed yet.' }) unsealed!: number;
  @ApiProperty({ type: 'number', description: 'How long the oldest of them has waited.' }) lagSeconds!: number;
}

export class HealthResponse implements Health {
  @ApiProperty({ enum: ['ok', 'degraded'], description: 'degraded (still 200) while a read model is stopped at an event it cannot apply.' }) status!: 'ok' | 'degraded';
  @ApiProperty({ enum: ['ok'], description: 'While the database is down /health answers 503 (rule database.available) instead.' }) database!: 'ok';
  @ApiPropertyOptional({ type: [StoppedReadModelDto], description: 'Only while degraded.' }) stoppedReadModels?: StoppedReadModelDto[];
  @ApiProperty({ type: SealLagDto, nullable: true, description: 'Null when this process seals nothing (the log is in EventStoreDB).' }) seal!: SealLagDto | null;
}

export class SealStatusDto extends SealLagDto implements Seal {
  @ApiProperty({ type: 'integer', description: 'Events sealed so far.' }) sealed!: number;
  @ApiProperty({ type: 'integer', description: 'Global position of the last sealed event.' }) sealedPosition!: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) sealedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) oldestUnsealedAt!: string | null;
}

export class StoppedAtDto implements StoppedAt {
  @ApiProperty({ type: 'integer' }) partition!: number;
  @ApiProperty({ type: 'integer' }) position!: number;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ example: 'TripBooked' }) type!: string;
  @ApiProperty() error!: string;
  @ApiProperty({ format: 'date-time' }) since!: string;
}

export class RebuildProgressDto {
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ type: 'integer' }) eventsProcessed!: number;
  @ApiProperty({ type: 'integer' }) lagEvents!: number;
  @ApiProperty({ type: 'number' }) percent!: number;
  @ApiProperty({ type: 'number', description: 'Events per second.' }) rate!: number;
  @ApiProperty({ type: [StoppedAtDto] }) stopped!: StoppedAtDto[];
}

export class ProjectionStatusDto implements ProjectionStatus {
  @ApiProperty({ example: 'customer_overview' }) name!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ enum: ['running', 'stopped', 'rebuilding'] }) state!: 'running' | 'stopped' | 'rebuilding';
  @ApiProperty({ example: '7351:1042', description: "The least advanced partition's checkpoint." }) checkpoint!: string;
  @ApiProperty({ type: 'integer', description: 'Global position of the last event the least advanced partition has passed.' }) position!: number;
  @ApiProperty({ type: 'integer' }) lagEvents!: number;
  @ApiProperty({ type: 'number' }) lagSeconds!: number;
  @ApiProperty({ type: 'number', description: 'Events per second over the last batch.' }) rate!: number;
  @ApiProperty({ type: 'integer' }) eventsProcessed!: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) updatedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: [StoppedAtDto], description: 'The event each stopped partition stopped at.' }) stopped!: StoppedAtDto[];
  @ApiProperty({ type: 'integer' }) partitions!: number;
  @ApiProperty({ type: RebuildProgressDto, nullable: true, description: 'The blue/green build in progress, or null.' }) rebuilding!: RebuildProgressDto | null;
}

export class LeaseOwnerDto implements LeaseOwner {
  @ApiProperty({ type: 'integer', description: "-1 is the leader's lease." }) partition!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The projector process holding it; null while nobody does.' }) owner!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) expiresAt!: string | null;
}

export class ProjectionsResponse {
  @ApiProperty({ type: [ProjectionStatusDto] }) projections!: ProjectionStatusDto[];
  @ApiProperty({ type: [LeaseOwnerDto] }) partitions!: LeaseOwnerDto[];
  @ApiProperty({ type: SealStatusDto, nullable: true }) seal!: SealStatusDto | null;
}
