import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { COMPLETION_OUTCOMES, PHASES, TOUCHPOINT_KINDS, TOUCHPOINT_STATUSES } from '../../../../libs/touchpoints/src';
import type { TouchpointRow } from '../../../../projections/touchpoints/touchpoints.queries';
import { CommandAnswerResponse } from '../customers/customer.responses';

/* What the touchpoint and risk-alert routes answer. */

const nullableText = (description: string): ApiPropertyOptions => ({ type: String, nullable: true, description });

export class TouchpointDto implements TouchpointRow {
  @ApiProperty() touchpointId!: string;
  @ApiProperty() customerId!: string;
  @ApiProperty(nullableText('The booking it is about, if any.')) bookingId!: string | null;
  @ApiProperty(nullableText('The complaint it is about, if any.')) complaintId!: string | null;
  @ApiProperty(nullableText('The destination risk alert it is about, if any.')) alertId!: string | null;
  @ApiProperty(nullableText('The campaign of a campaign touchpoint (an open one is in the queue only while its campaign runs).')) campaignId!: string | null;
  @ApiProperty({ enum: TOUCHPOINT_KINDS }) kind!: string;
  @ApiProperty({ enum: PHASES }) phase!: string;
  @ApiProperty({ format: 'date-time' }) dueAt!: string;
  @ApiProperty({ example: 'phone' }) channel!: string;
  @ApiProperty({ example: 'el' }) language!: string;
  @ApiProperty() urgent!: boolean;
  @ApiProperty({ description: 'Marketing, so only with consent and within the frequency cap.' }) marketing!: boolean;
  @ApiProperty({ enum: TOUCHPOINT_STATUSES }) status!: string;
  @ApiProperty({ description: 'Open and due at or before asOf.' }) overdue!: boolean;
  @ApiProperty({ type: [String], description: 'What to talk about.' }) contentHints!: string[];
  @ApiProperty({
    type: [String],
    description: 'Next-trip offers to talk about (pre-trip, post-trip and win-back touchpoints; empty on others and for a forgotten customer): the top 3 as of the query instant, each "city, country (product): reasons". Computed when read, not stored (docs/offers.md).',
  })
  offerHints!: string[];
  @ApiProperty(nullableText('Why it was skipped, moved or cancelled.')) reason!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) completedAt!: string | null;
  @ApiProperty(nullableText('Who completed it (the API key or token subject).')) completedBy!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: COMPLETION_OUTCOMES }) outcome!: string | null;
  @ApiProperty(nullableText('The completion note (personal data: masked for analysts).')) note!: string | null;
  @ApiProperty(nullableText('The customer’s own time zone, for the due time as they see it.')) timeZone!: string | null;
}

export class TouchpointQueueResponse {
  @ApiProperty({ format: 'date-time', description: 'The instant overdue was judged at.' }) asOf!: string;
  @ApiProperty({ type: [TouchpointDto], description: 'By due time.' }) items!: TouchpointDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page.' }) nextCursor!: string | null;
}

export class CalendarDayDto {
  @ApiProperty({ format: 'date', description: 'UTC day.' }) day!: string;
  @ApiProperty({ enum: TOUCHPOINT_KINDS }) kind!: string;
  @ApiProperty({ type: 'integer' }) open!: number;
  @ApiProperty({ type: 'integer' }) done!: number;
  @ApiProperty({ type: 'integer' }) skipped!: number;
  @ApiProperty({ type: 'integer' }) cancelled!: number;
}

export class TouchpointCalendarResponse {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive.' }) to!: string;
  @ApiProperty({ type: [CalendarDayDto], description: 'By day, then kind; days and kinds without touchpoints are left out.' }) days!: CalendarDayDto[];
}

export class CustomerTouchpointsResponse {
  @ApiProperty() customerId!: string;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ type: [TouchpointDto], description: 'The whole schedule, by due time.' }) touchpoints!: TouchpointDto[];
}

export class TouchpointCompletedResponse extends CommandAnswerResponse {
  @ApiProperty() touchpointId!: string;
}

export class RiskAlertIssuedResponse {
  @ApiProperty({ example: 'ra-2026-017', description: 'The alert’s id: yours, or a new UUID.' }) alertId!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Global position of the event; null when the same alert was sent before.' }) position!: number | null;
}
