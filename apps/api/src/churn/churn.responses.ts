import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SIGNALS, type ChurnScore, type Reason, type RiskBand } from '../../../../libs/churn/src';
import type { ChoiceRule, ModelCandidate } from '../../../../libs/churn/src';
import { MODEL_NAMES, type GammaGammaParams, type ModelName, type ModelParams, type TimeUnit } from '../../../../libs/clv/src';
import type { ChurnFit, ModelChoice, ScoringSummary } from '../../../../projections/churn/churn-model';
import type { HoldoutCheck } from '../../../../projections/churn/churn-holdout';
import type { ChurnRiskPage } from '../../../../projections/churn/churn-risk.queries';

/* What the churn routes answer. Money is in major units of the base currency of the segments config. */

const BANDS: RiskBand[] = ['low', 'medium', 'high'];
const UNITS: TimeUnit[] = ['day', 'week', 'month'];

/** One shape for the three models: BG/NBD and MBG/NBD have a and b, Pareto/NBD s and beta. */
export class ModelParamsDto {
  @ApiProperty({ type: 'number', description: 'Shape of the purchase-rate distribution.' }) r!: number;
  @ApiProperty({ type: 'number', description: 'Scale of the purchase-rate distribution, in the fit’s unit.' }) alpha!: number;
  @ApiPropertyOptional({ type: 'number', description: 'BG/NBD and MBG/NBD: the dropout probability is Beta(a, b).' }) a?: number;
  @ApiPropertyOptional({ type: 'number' }) b?: number;
  @ApiPropertyOptional({ type: 'number', description: 'Pareto/NBD: the dropout rate is Gamma(s, beta), beta in the fit’s unit.' }) s?: number;
  @ApiPropertyOptional({ type: 'number' }) beta?: number;
}

export class ModelCandidateDto implements ModelCandidate {
  @ApiProperty({ enum: MODEL_NAMES }) model!: ModelName;
  @ApiProperty({ type: 'number', nullable: true, description: 'Repeat trips per customer in the holdout months; null when the calibration part could not identify the model (error says why).' })
  meanAbsoluteError!: number | null;
  @ApiProperty({ type: 'number', nullable: true }) rootMeanSquareError!: number | null;
  @ApiProperty({ type: 'number', nullable: true }) predictedTrips!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) actualTrips!: number | null;
  @ApiProperty({ type: 'number', nullable: true, description: 'Of the calibration fit; each model family’s own, not comparable between BG and Pareto.' }) calibrationLogLikelihood!: number | null;
  @ApiPropertyOptional() error?: string;
}

export class ModelChoiceDto implements ModelChoice {
  @ApiProperty({
    enum: ['configured', 'lowest-holdout-error', 'first-that-fits'],
    description: 'configured: the config names the model; lowest-holdout-error: the candidate with the lowest mean absolute error on the holdout; first-that-fits: no candidate could be checked, the first one the data identify.',
  })
  rule!: ChoiceRule;
  @ApiProperty({ type: [ModelCandidateDto], description: 'Every candidate checked on the holdout, in the config’s order.' }) candidates!: ModelCandidateDto[];
}

export class GammaGammaParamsDto implements GammaGammaParams {
  @ApiProperty({ type: 'number' }) p!: number;
  @ApiProperty({ type: 'number' }) q!: number;
  @ApiProperty({ type: 'number' }) v!: number;
}

export class RepeatTripsGroupDto {
  @ApiProperty({ type: 'integer', description: 'Repeat trips before calibrationEnd (the last group: this many or more).' }) repeatTrips!: number;
  @ApiProperty({ type: 'integer' }) customers!: number;
  @ApiProperty({ type: 'number', description: 'Mean predicted repeat trips in the holdout.' }) predicted!: number;
  @ApiProperty({ type: 'number', description: 'Mean actual repeat trips in the holdout.' }) actual!: number;
}

export class HoldoutCheckDto implements HoldoutCheck {
  @ApiProperty({ format: 'date-time' }) calibrationEnd!: string;
  @ApiProperty({ type: 'integer' }) customers!: number;
  @ApiProperty({ type: 'number', description: 'Repeat trips per customer in (calibrationEnd, cutoff].' }) meanAbsoluteError!: number;
  @ApiProperty({ type: 'number' }) rootMeanSquareError!: number;
  @ApiProperty({ type: 'number' }) predictedTrips!: number;
  @ApiProperty({ type: 'integer' }) actualTrips!: number;
  @ApiPropertyOptional({ type: [RepeatTripsGroupDto], description: 'Customers grouped by repeat trips before calibrationEnd; absent on fits recorded before it was kept.' })
  byRepeatTrips?: RepeatTripsGroupDto[];
}

export class ChurnFitResponse implements ChurnFit {
  @ApiProperty({ type: 'integer' }) fitId!: number;
  @ApiProperty({ format: 'date-time', description: 'The trips completed by this instant were fitted.' }) cutoff!: string;
  @ApiProperty({ enum: MODEL_NAMES }) model!: ModelName;
  @ApiProperty({ enum: UNITS }) unit!: TimeUnit;
  @ApiProperty({ type: ModelParamsDto }) params!: ModelParams;
  @ApiProperty({ type: ModelParamsDto }) standardErrors!: ModelParams;
  @ApiProperty({ type: 'number' }) logLikelihood!: number;
  @ApiProperty({ type: GammaGammaParamsDto, nullable: true, description: 'The value model; null when the data could not identify it.' }) gammaGamma!: GammaGammaParamsDto | null;
  @ApiProperty({ type: 'integer' }) customers!: number;
  @ApiProperty({ type: 'integer' }) repeatBuyers!: number;
  @ApiProperty() converged!: boolean;
  @ApiProperty() method!: string;
  @ApiProperty({ type: HoldoutCheckDto, nullable: true, description: 'Null when the calibration part alone could not identify the model (holdoutError says why).' }) holdout!: HoldoutCheckDto | null;
  @ApiPropertyOptional() holdoutError?: string;
  @ApiProperty({ type: ModelChoiceDto, nullable: true, description: 'How the model was chosen, with every candidate’s holdout check; null on fits recorded before it was kept.' })
  choice!: ModelChoiceDto | null;
  @ApiProperty() configVersion!: string;
  @ApiProperty({ enum: ['schedule', 'on-demand'] }) trigger!: ChurnFit['trigger'];
  @ApiProperty({ description: 'Who asked for it (the API key or token subject), or the engine’s schedule.' }) actor!: string;
  @ApiProperty({ format: 'date-time' }) fittedAt!: string;
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}

export class ScoringSummaryDto implements ScoringSummary {
  @ApiProperty({ type: 'integer' }) scoringId!: number;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ type: 'integer' }) fitId!: number;
  @ApiProperty({ type: 'integer', description: 'Customers scored (those with a completed trip).' }) customers!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { low: 80, medium: 15, high: 5 }, description: 'Customers per risk band.' }) bands!: Record<string, number>;
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}

export class ChurnFitAnswerResponse {
  @ApiProperty({ type: ChurnFitResponse }) fit!: ChurnFitResponse;
  @ApiProperty({ type: ScoringSummaryDto, description: 'Every customer scored with the new fit as of its cut-off.' }) scoring!: ScoringSummaryDto;
}

export class ChurnReasonDto implements Reason {
  @ApiProperty({ enum: ['dropout', ...SIGNALS] }) signal!: Reason['signal'];
  @ApiProperty({ type: 'integer', description: 'What the reason adds to the risk.' }) points!: number;
  @ApiProperty({ example: 'last NPS 3 on 2026-05-02 (a detractor: 6 or below)' }) text!: string;
}

/** A score without the customer it is about: the scored customer's answer names them once, beside the scoring. */
class ScoreDto implements Omit<ChurnScore, 'customerId'> {
  @ApiProperty({ type: 'integer', description: 'Completed trips.' }) trips!: number;
  @ApiProperty({ format: 'date-time' }) lastTripAt!: string;
  @ApiProperty({ type: 'number', minimum: 0, maximum: 1, description: 'Probability the customer is still "alive" (will travel again).' }) pAlive!: number;
  @ApiProperty({ type: 'number', description: 'Expected trips in the CLV horizon.' }) expectedTrips!: number;
  @ApiProperty({ type: 'number', description: 'Expected value per trip.' }) expectedValue!: number;
  @ApiProperty({ type: 'number', description: 'Customer lifetime value over the horizon, discounted.' }) clv!: number;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100 }) risk!: number;
  @ApiProperty({ enum: BANDS }) band!: RiskBand;
  @ApiProperty({ type: [ChurnReasonDto], description: 'What makes up the risk, with their points.' }) reasons!: ChurnReasonDto[];
}

export class ChurnScoreDto extends ScoreDto implements ChurnScore {
  @ApiProperty() customerId!: string;
}

export class LatestScoringDto {
  @ApiProperty({ type: 'integer' }) scoringId!: number;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ type: 'integer' }) fitId!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
}

export class ChurnRiskPageResponse implements ChurnRiskPage {
  @ApiProperty({ type: LatestScoringDto, nullable: true, description: 'The scoring the page is from; null before the first.' }) scoring!: LatestScoringDto | null;
  @ApiProperty({ type: [ChurnScoreDto] }) items!: ChurnScoreDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page.' }) nextCursor!: string | null;
}

export class CustomerChurnScoreResponse extends ScoreDto {
  @ApiProperty() customerId!: string;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ type: 'integer', description: 'The fit the score was computed with.' }) fitId!: number;
  @ApiProperty({ example: 'EUR', description: 'The currency of expectedValue and clv.' }) currency!: string;
}

export class CustomerNotScoredResponse {
  @ApiProperty() customerId!: string;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ type: 'integer' }) fitId!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ nullable: true, enum: [null], description: 'Always null: the model scores customers who have travelled.' }) score!: null;
  @ApiProperty({ example: 'no completed trip by 2026-07-01T00:00:00.000Z: the model scores customers who have travelled' }) note!: string;
}
