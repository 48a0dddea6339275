import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import {
  CAMPAIGN_GOAL_KINDS,
  CAMPAIGN_LIMITS,
  CAMPAIGN_STATUSES,
  CONTACT_CHANNELS,
  MAX_CONVERSION_WINDOW_DAYS,
  MAX_HOLDOUT_SHARE,
  SEGMENT_MATCHES,
  type CampaignStatus,
} from '../../../../libs/domain/src';
import { MoneyDto } from '../customers/customer.dtos';

/*
 * Campaign requests and answers as OpenAPI documents them. The classes check nothing: parseDefineCampaign and
 * parseChangeCampaignDefinition (libs/domain) do, from the same limits (CAMPAIGN_LIMITS).
 */

const list = (description: string, example: string[]): ApiPropertyOptions => ({ type: [String], description, example, maxItems: CAMPAIGN_LIMITS.listItems });

export class CampaignSegmentsDto {
  @ApiProperty({ enum: SEGMENT_MATCHES, description: 'any: in at least one of the segments; all: in every one.' }) match!: string;
  @ApiProperty(list('Segment keys as GET /segments names them (at least one, each at most 100 characters).', ['lifecycle:lapsed', 'vip:vip']))
  keys!: string[];
}

export class CampaignTripFilterDto {
  @ApiPropertyOptional(list('Booked one of these product types.', ['flight'])) productTypes?: string[];
  @ApiPropertyOptional(list('Destination countries, ISO 3166-1 alpha-2.', ['PT', 'ES'])) destinations?: string[];
  @ApiPropertyOptional(list('Sales channels the booking came through.', ['web'])) channels?: string[];
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: CAMPAIGN_LIMITS.maxWithinMonths, description: 'Only bookings made in the last N months count.', example: 24 })
  withinMonths?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: CAMPAIGN_LIMITS.maxMinTrips, description: 'At least this many matching bookings (default 1).' }) minTrips?: number;
  @ApiPropertyOptional({ type: MoneyDto, description: 'At least this much spent on matching bookings (as amended; bookings in other currencies do not count).' }) minSpend?: MoneyDto;
}

export class CampaignAudienceDto {
  @ApiPropertyOptional({ type: CampaignSegmentsDto }) segments?: CampaignSegmentsDto;
  @ApiPropertyOptional({ type: CampaignTripFilterDto, description: 'Bookings not cancelled; every filter given must hold for the same bookings.' }) trips?: CampaignTripFilterDto;
  @ApiPropertyOptional({ default: true, description: 'Only customers with marketing consent.' }) requireMarketingConsent?: boolean;
}

export class SendWindowDto {
  @ApiProperty({ format: 'date-time', example: '2026-03-02T08:00:00Z' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'After `from`.', example: '2026-03-09T20:00:00Z' }) until!: string;
}

export class CampaignGoalDto {
  @ApiProperty({ enum: CAMPAIGN_GOAL_KINDS, description: 'booking: any booking; booking-above: a booking of at least `amount`; survey-answer: an NPS answer.' }) kind!: string;
  @ApiPropertyOptional({ type: MoneyDto, description: 'Only, and required, for booking-above.' }) amount?: MoneyDto;
}

export class CampaignDefinitionDto {
  @ApiProperty({ maxLength: CAMPAIGN_LIMITS.name, example: 'Flight deal to Lisbon' }) name!: string;
  @ApiPropertyOptional({
    type: CampaignAudienceDto,
    description: 'At least one segment or trip filter before launch (campaign.audience-required); leave it out for a draft. A change replaces the whole audience.',
  })
  audience?: CampaignAudienceDto;
  @ApiProperty({ enum: CONTACT_CHANNELS, example: 'sms' }) channel!: string;
  @ApiPropertyOptional({ type: [String], maxItems: CAMPAIGN_LIMITS.contentHints, items: { type: 'string', maxLength: CAMPAIGN_LIMITS.contentHint }, example: ['mention the Lisbon fares'] })
  contentHints?: string[];
  @ApiProperty({ type: SendWindowDto }) sendWindow!: SendWindowDto;
  @ApiProperty({ minimum: 0, maximum: MAX_HOLDOUT_SHARE, example: 0.1, description: 'Share held out as control; fixed at launch (campaign.holdout-fixed-after-launch).' }) holdoutShare!: number;
  @ApiProperty({ type: CampaignGoalDto }) goal!: CampaignGoalDto;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_CONVERSION_WINDOW_DAYS, example: 30, description: 'A conversion counts within this many days of the assignment.' })
  conversionWindowDays!: number;
}

export class DefineCampaignDto extends CampaignDefinitionDto {
  @ApiPropertyOptional({ description: 'Your id for the campaign; default a new UUID. The same definition again under its id gets the first answer; another one is a 409 (campaign.define-once).', maxLength: 64 })
  campaignId?: string;
}

/** PATCH: any fields of a definition, at least one. */
export class ChangeCampaignDto {
  @ApiPropertyOptional({ maxLength: CAMPAIGN_LIMITS.name }) name?: string;
  @ApiPropertyOptional({ type: CampaignAudienceDto, description: 'Replaces the whole audience.' }) audience?: CampaignAudienceDto;
  @ApiPropertyOptional({ enum: CONTACT_CHANNELS }) channel?: string;
  @ApiPropertyOptional({ type: [String], maxItems: CAMPAIGN_LIMITS.contentHints }) contentHints?: string[];
  @ApiPropertyOptional({ type: SendWindowDto }) sendWindow?: SendWindowDto;
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_HOLDOUT_SHARE, description: 'Only before launch.' }) holdoutShare?: number;
  @ApiPropertyOptional({ type: CampaignGoalDto }) goal?: CampaignGoalDto;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_CONVERSION_WINDOW_DAYS }) conversionWindowDays?: number;
}

export class CampaignCommandResponse {
  @ApiProperty({ example: 'flight-deal-2026-03' }) campaignId!: string;
  @ApiProperty({ type: 'integer', description: "The campaign stream's version after the command." }) version!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Global position of the last event written; pass it as ?minPosition= to read your own write. Null when nothing changed.' })
  position!: number | null;
}

export class CampaignAssignmentDto {
  @ApiProperty({ type: 'integer', description: 'Audience members without an arm when the launch looked.' }) audience!: number;
  @ApiProperty({ type: 'integer', description: 'Assigned by this request (CampaignArmAssigned events written).' }) assigned!: number;
  @ApiProperty({ type: 'integer' }) treatment!: number;
  @ApiProperty({ type: 'integer' }) control!: number;
  @ApiProperty({ format: 'date-time', description: 'The assignment instant (the events’ occurredAt, and the instant the audience was asked for).' }) asOf!: string;
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}

export class CampaignLaunchResponse extends CampaignCommandResponse {
  @ApiProperty({ type: CampaignAssignmentDto }) assignment!: CampaignAssignmentDto;
}

export class CampaignArmsDto {
  @ApiProperty({ type: 'integer' }) treatment!: number;
  @ApiProperty({ type: 'integer' }) control!: number;
}

export class CampaignResponse {
  @ApiProperty() campaignId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: CAMPAIGN_STATUSES }) status!: CampaignStatus;
  @ApiProperty({ type: CampaignDefinitionDto, description: 'The current definition; audience always present (requireMarketingConsent filled in), contentHints [] when none.' })
  definition!: CampaignDefinitionDto;
  @ApiProperty({ format: 'date-time' }) definedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) launchedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the current pause began; null unless paused.' }) pausedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) endedAt!: string | null;
  @ApiProperty({ type: CampaignArmsDto, description: 'Customers assigned to each arm so far; GET /campaigns/{id}/results says how many were dropped since.' }) arms!: CampaignArmsDto;
}

export class CampaignListResponse {
  @ApiProperty({ type: [CampaignResponse], description: 'Newest definition first.' }) items!: CampaignResponse[];
}
