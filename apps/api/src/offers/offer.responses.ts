import { ApiProperty } from '@nestjs/swagger';

/* What GET /customers/:id/offers answers. Schema names start with NextTrip: Nest keeps one schema per class name. */

export class NextTripDestinationDto {
  @ApiProperty({ example: 'GR' }) country!: string;
  @ApiProperty({ example: 'Crete', description: 'Empty when not known (a booking projected before issue 19, until segment_facts is rebuilt): the place is the country.' }) city!: string;
}

export class NextTripOfferDto {
  @ApiProperty({ type: NextTripDestinationDto }) destination!: NextTripDestinationDto;
  @ApiProperty({ example: 'package', description: 'The product to offer there: the most travelled one, preferring what the customer took before and what serves their interests.' })
  productType!: string;
  @ApiProperty({ description: 'Higher is better; only the order means something (docs/offers.md).' }) score!: number;
  @ApiProperty({ enum: ['history', 'popular'], description: 'history: from what customers did after this customer’s trips; popular: the fallback without one.' })
  basis!: 'history' | 'popular';
  @ApiProperty({ type: [String], example: ['customers who went to Antalya often went to Crete next (12 of 40)', 'travels in May', 'party of 4'] })
  reasons!: string[];
}

export class CustomerOffersResponse {
  @ApiProperty() customerId!: string;
  @ApiProperty({ format: 'date-time', description: 'The instant the offers are as of.' }) asOf!: string;
  @ApiProperty({ format: 'date', description: 'The model learnt from the trips that started before this UTC day.' }) modelDay!: string;
  @ApiProperty({ type: 'integer', description: 'How many trips the model learnt from.' }) modelTrips!: number;
  @ApiProperty({ description: 'The customer was forgotten: no offers.' }) erased!: boolean;
  @ApiProperty({ type: [NextTripOfferDto], description: 'Best first; empty for a forgotten customer or one not registered by asOf.' }) offers!: NextTripOfferDto[];
}
