import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ErrorBody } from './errors';

/* The body of every 4xx and 5xx answer, as toErrorBody (errors.ts) builds it; app.ts refers every route's error answers to it. */

export class FieldRuleDto {
  @ApiProperty({ example: 'destination.country' }) field!: string;
  @ApiProperty({ example: 'must be an ISO 3166-1 alpha-2 code' }) rule!: string;
}

export class DatabaseStateDto {
  @ApiProperty({ enum: ['database-unavailable'] }) state!: 'database-unavailable';
  @ApiPropertyOptional({ format: 'date-time', description: 'Since when this process has found the database down.' }) since?: string;
  @ApiProperty({ example: 'connect ECONNREFUSED 127.0.0.1:5432' }) lastError!: string;
}

export class ErrorResponse implements ErrorBody {
  @ApiProperty({ type: 'integer', example: 400, description: 'The HTTP status, repeated.' }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request', description: 'The status in words.' }) error!: string;
  @ApiProperty({ example: 'destination.country must be an ISO 3166-1 alpha-2 code', description: 'What went wrong, for a person; never a stack trace.' }) message!: string;
  @ApiPropertyOptional({ example: 'destination.country', description: 'The input at fault: a body field (dotted path), a query parameter or a header.' }) field?: string;
  @ApiPropertyOptional({
    example: 'booking.id-unique',
    description: 'The rule broken: a named domain or engine rule (booking.id-unique, version.expected, engine.overloaded, database.available, ...), or for a 400 what the field must be.',
  })
  rule?: string;
  @ApiPropertyOptional({ type: [FieldRuleDto], description: 'Every problem found in the input, the first of them also in field and rule (400).' }) errors?: FieldRuleDto[];
  @ApiPropertyOptional({ type: 'integer', example: 1, description: 'When to try again (503), also sent as the Retry-After header.' }) retryAfterSeconds?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Rule version.expected (409): the version the command expected (If-Match).' }) expectedVersion?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Rule version.expected (409): the version the stream is at.' }) actualVersion?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Rule command-queue.bounded (503): commands that may wait for one customer (COMMAND_QUEUE_MAX_WAITING).' }) maxWaiting?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Rule command-queue.wait-limited (503): how long a command may wait for its turn (COMMAND_QUEUE_TIMEOUT_MS).' }) timeoutMs?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Rule engine.overloaded (503): commands this process takes at once now.' }) maxInFlight?: number;
  @ApiPropertyOptional({ example: 'SEK', description: 'Rule segments.rate-configured (409): the booking currency without a rate in the segments config.' }) currency?: string;
  @ApiPropertyOptional({ type: DatabaseStateDto, description: 'Rule database.available (503): since when the database is down, and why.' }) database?: DatabaseStateDto;
  /** A rule may add fields of its own: those above are all there are today, but for a 400 of POST /imports, which carries the import summary's. */
  [extra: string]: unknown;
}
