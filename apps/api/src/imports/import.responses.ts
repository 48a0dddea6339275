import { ApiProperty } from '@nestjs/swagger';
import { ErrorResponse } from '../http/error.responses';
import type { ImportSummary } from './importer';

/* What POST /imports answers: a summary with each bad line's number and reason (the error body the API would have answered it with). */

export class RejectedLineDto extends ErrorResponse {
  @ApiProperty({ type: 'integer', example: 17, description: 'Line number in the body, from 1.' }) line!: number;
}

export class ImportSummaryResponse implements ImportSummary {
  @ApiProperty({ description: 'X-Correlation-Id of the request, or a new UUID: every imported event’s correlation id.' }) importId!: string;
  @ApiProperty({ type: 'integer' }) linesRead!: number;
  @ApiProperty({ type: 'integer' }) bytesDone!: number;
  @ApiProperty({ type: 'integer', description: 'Lines imported now.' }) imported!: number;
  @ApiProperty({ type: 'integer' }) rejected!: number;
  @ApiProperty({ type: 'integer', description: 'Lines imported before (the same text), skipped.' }) duplicates!: number;
  @ApiProperty({ type: 'integer', description: 'Events written.' }) events!: number;
  @ApiProperty({ type: 'number' }) seconds!: number;
  @ApiProperty({ type: 'number' }) eventsPerSecond!: number;
  @ApiProperty({ type: [RejectedLineDto], description: 'The first bad lines found (up to a limit), in file order.' }) rejections!: RejectedLineDto[];
}
