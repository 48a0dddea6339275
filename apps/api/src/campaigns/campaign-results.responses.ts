import { ApiProperty } from '@nestjs/swagger';
import { COMPLETION_OUTCOMES } from '../../../../libs/touchpoints/src';

/* What GET /campaigns/:id/results, GET /analytics/touchpoint-holdouts and GET /campaigns/:id/export answer. */

const moneyMap = (description: string) => ({ type: 'object', additionalProperties: { type: 'number' }, example: { EUR: 15000 }, description }) as const;

export class ArmDropsResponse {
  @ApiProperty({ description: 'Forgotten since (CustomerForgotten): counted in neither arm.' }) forgotten!: number;
  @ApiProperty({ description: 'Marketing consent withdrawn after the assignment and by asOf (only when the audience required consent): counted in neither arm.' }) consentWithdrawn!: number;
}

export class ArmResultResponse {
  @ApiProperty({ description: 'Customers counted (assigned by asOf, less the dropped).' }) customers!: number;
  @ApiProperty({ description: 'Customers whose goal event came after their assignment, within the conversion window, by asOf.' }) conversions!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'conversions / customers; null for an empty arm.' }) conversionRate!: number | null;
  @ApiProperty(moneyMap('Revenue of the bookings in the customers’ conversion windows, minor units by currency.')) revenue!: Record<string, number>;
  @ApiProperty(moneyMap('revenue / customers, minor units by currency (fractional).')) revenuePerCustomer!: Record<string, number>;
}

export class CampaignArmResultResponse extends ArmResultResponse {
  @ApiProperty({ type: ArmDropsResponse }) dropped!: ArmDropsResponse;
  @ApiProperty({ description: 'Counted customers whose conversion window is still open at asOf: their conversions may still come.' }) windowsOpen!: number;
}

class IntervalResponse {
  @ApiProperty() low!: number;
  @ApiProperty() high!: number;
}

export class UpliftResponse {
  @ApiProperty({ description: 'The method, named (docs/campaigns.md).' }) method!: string;
  @ApiProperty({ description: 'p_treatment − p_control.' }) absolute!: number;
  @ApiProperty({ type: Number, nullable: true, description: '(p_t − p_c) / p_c, a point estimate; null when the control never converted.' }) relative!: number | null;
  @ApiProperty({ type: IntervalResponse, description: '95 % unpooled Wald interval of p_t − p_c.' }) interval95!: IntervalResponse;
  @ApiProperty() standardError!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'z of the two-sided test with pooled standard error; null when nothing varies.' }) z!: number | null;
  @ApiProperty({ type: Number, nullable: true }) pValue!: number | null;
  @ApiProperty({ description: '(p_t − p_c) × treated customers.' }) incrementalConversions!: number;
  @ApiProperty({ type: IntervalResponse }) incrementalConversionsInterval95!: IntervalResponse;
  @ApiProperty(moneyMap('(revenue per treated − per control customer) × treated customers, minor units by currency; no interval.')) incrementalRevenue!: Record<string, number>;
  @ApiProperty({ description: 'An arm has fewer than 10 conversions or non-conversions: the interval is rough.' }) smallSample!: boolean;
}

class CampaignArmsResponse {
  @ApiProperty({ type: CampaignArmResultResponse }) treatment!: CampaignArmResultResponse;
  @ApiProperty({ type: CampaignArmResultResponse }) control!: CampaignArmResultResponse;
}

export class CampaignResultsResponse {
  @ApiProperty() campaignId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['defined', 'running', 'paused', 'ended'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { kind: 'booking' }, description: 'The goal as defined: booking, booking-above {amount}, survey-answer.' }) goal!: object;
  @ApiProperty() conversionWindowDays!: number;
  @ApiProperty() holdoutShare!: number;
  @ApiProperty({ type: CampaignArmsResponse }) arms!: CampaignArmsResponse;
  @ApiProperty({ type: UpliftResponse, nullable: true, description: 'Null while an arm is empty.' }) uplift!: UpliftResponse | null;
}

class HoldoutArmsResponse {
  @ApiProperty({ type: ArmResultResponse, description: 'Touchpoints of the kind that were made or due (open, done, or skipped by a person).' }) treatment!: ArmResultResponse;
  @ApiProperty({ type: ArmResultResponse, description: 'Touchpoints of the kind held out (status held-out).' }) control!: ArmResultResponse;
}

class NpsArmResponse {
  @ApiProperty({ description: 'Touchpoints followed by an NPS answer within the window.' }) answered!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Mean of the next NPS answer (0-10) after each touchpoint.' }) meanNps!: number | null;
  @ApiProperty({ description: 'Answers of 9 or 10.' }) promoters!: number;
  @ApiProperty({ description: 'Answers of 0 to 6.' }) detractors!: number;
  @ApiProperty({ type: Number, nullable: true, description: '100 × (promoters − detractors) / answered.' }) nps!: number | null;
}

class HoldoutNpsResponse {
  @ApiProperty({ type: NpsArmResponse }) treatment!: NpsArmResponse;
  @ApiProperty({ type: NpsArmResponse }) control!: NpsArmResponse;
  @ApiProperty({ type: UpliftResponse, nullable: true, description: 'Of the promoter share among answers (a proportion), same method; null while an arm has no answer.' }) promoterUplift!: UpliftResponse | null;
}

export class TouchpointHoldoutsResponse {
  @ApiProperty({ example: 'welcome-home-call' }) kind!: string;
  @ApiProperty({ description: 'The measurement window after each touchpoint’s due time, in calendar months.' }) months!: number;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ type: HoldoutArmsResponse, description: 'A conversion: a repeat booking (not cancelled by asOf) within `months` after the due time. Only touchpoints whose window ended by asOf count.' }) arms!: HoldoutArmsResponse;
  @ApiProperty({ type: UpliftResponse, nullable: true }) uplift!: UpliftResponse | null;
  @ApiProperty({ type: HoldoutNpsResponse, description: 'The next NPS answer after each touchpoint, within the same window.' }) nextNps!: HoldoutNpsResponse;
}

export class CampaignSendResponse {
  @ApiProperty() touchpointId!: string;
  @ApiProperty() customerId!: string;
  @ApiProperty({ example: 'sms' }) channel!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The e-mail address (channel email) or phone number (sms, phone, messenger); null when the customer has none.' }) address!: string | null;
  @ApiProperty({ example: 'el' }) language!: string;
  @ApiProperty({ type: [String] }) contentHints!: string[];
  @ApiProperty({ format: 'date-time' }) dueAt!: string;
}

export const GATEWAY_OUTCOMES = COMPLETION_OUTCOMES.filter((outcome) => ['sent', 'delivered', 'failed', 'opted-out'].includes(outcome));
