import { createHash } from 'node:crypto';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import { InvalidInput, checkId, type CustomerCommand, type CustomerCommandType } from '../../../../libs/domain/src';
import {
  AcknowledgeComplaintDto,
  AmendBookingDto,
  AnswerSurveyDto,
  BookTripDto,
  CompleteTouchpointDto,
  CancelBookingDto,
  FileComplaintDto,
  LogInteractionDto,
  OccurredAtDto,
  RegisterCustomerDto,
  ResolveComplaintDto,
  UpdateCustomerDto,
  VipReasonDto,
} from '../customers/customer.dtos';
import { tooDeep, toErrorBody, validationException, type ErrorBody } from '../http/errors';
import { quickValid } from './quick-validation';

/**
 * An import line is a command in the API's shape: the request body of its endpoint, plus `type`, `customerId`,
 * `occurredAt` (required here: an import replays the past) and the ids the API takes from the path
 * (`bookingId`, `complaintId`). `eventId` is optional; without it the ids derive from the line's text.
 */
const COMMANDS: Record<CustomerCommandType, { dto: ClassConstructor<object>; pathIds?: string[] }> = {
  RegisterCustomer: { dto: RegisterCustomerDto },
  UpdateCustomerProfile: { dto: UpdateCustomerDto },
  BookTrip: { dto: BookTripDto },
  AmendBooking: { dto: AmendBookingDto, pathIds: ['bookingId'] },
  CancelBooking: { dto: CancelBookingDto, pathIds: ['bookingId'] },
  RecordDeparture: { dto: OccurredAtDto, pathIds: ['bookingId'] },
  RecordReturn: { dto: OccurredAtDto, pathIds: ['bookingId'] },
  FileComplaint: { dto: FileComplaintDto },
  AcknowledgeComplaint: { dto: AcknowledgeComplaintDto, pathIds: ['complaintId'] },
  ResolveComplaint: { dto: ResolveComplaintDto, pathIds: ['complaintId'] },
  AnswerSurvey: { dto: AnswerSurveyDto },
  LogInteraction: { dto: LogInteractionDto },
  GrantVipStatus: { dto: VipReasonDto },
  RevokeVipStatus: { dto: VipReasonDto },
  CompleteTouchpoint: { dto: CompleteTouchpointDto, pathIds: ['touchpointId'] },
};
const TYPES = Object.keys(COMMANDS).join(', ');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A numbered line of an import file. */
export interface Line {
  line: number;
  text: string;
  /** Set by a reader that could not make a command of this line (too long, not the format): the rule it broke. */
  error?: string;
  /** Input bytes up to and including this line, when the reader knows them (for progress against a file size). */
  end?: number;
}

export interface ParsedLine {
  line: number;
  command: CustomerCommand;
  /** Id of the command's first event; the n-th event's id derives from it. */
  eventId: string;
}

export interface RejectedLine extends ErrorBody {
  line: number;
}

/** A UUID (version 5 layout) from a SHA-256 digest: the same text always gives the same id. */
export const uuidFrom = (text: string): string => {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

export const nthEventId = (first: string, n: number): string => (n === 0 ? first : uuidFrom(`${first}#${n}`));

const reject = (line: number, error: unknown): RejectedLine => ({ line, ...toErrorBody(error) });

/**
 * Validates a line exactly as the API validates the request, in the same order: the DTO (ValidationPipe), then
 * the ids the API takes from the path; occurredAt and customerId are then checked by the domain's decide, as for
 * the API.
 */
export function parseLine(text: string, line: number): ParsedLine | RejectedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject(line, new InvalidInput('line', 'must be one JSON object'));
  }
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInput('line', 'must be one JSON object');
    if (tooDeep(value)) throw new InvalidInput('line', 'must nest at most 32 levels');
    const { type, customerId, eventId, ...body } = value as Record<string, unknown>;
    if (typeof type !== 'string' || !Object.hasOwn(COMMANDS, type)) throw new InvalidInput('type', `must be one of ${TYPES}`);
    const { dto, pathIds = [] } = COMMANDS[type as CustomerCommandType];
    if (body.occurredAt === undefined) throw new InvalidInput('occurredAt', 'is required in an import');
    if (eventId !== undefined && (typeof eventId !== 'string' || !UUID.test(eventId))) throw new InvalidInput('eventId', 'must be a UUID');
    const ids = pathIds.map((field) => [field, body[field]] as const);
    for (const [field] of ids) delete body[field];
    if (!quickValid(dto, body)) {
      const errors = validateSync(plainToInstance(dto, body), { whitelist: true, forbidNonWhitelisted: true });
      if (errors.length) throw validationException(errors);
    }
    checkId('customerId', customerId);
    for (const [field, id] of ids) checkId(field, id);
    return commandOf(text, line, (eventId as string | undefined)?.toLowerCase() ?? uuidFrom(text.trim()));
  } catch (error) {
    return reject(line, error);
  }
}

/**
 * The command of a line parseLine accepted: the line minus type, customerId, eventId and occurredAt is the
 * command's data (the ids the API takes from the path stay in it). Also used to rebuild, without validating
 * again, the commands of lines the parser thread accepted: cheaper than cloning them across threads.
 */
export function commandOf(text: string, line: number, eventId: string): ParsedLine {
  const value = JSON.parse(text) as Record<string, unknown>;
  const { type, customerId, occurredAt } = value;
  delete value.type;
  delete value.customerId;
  delete value.eventId;
  delete value.occurredAt;
  // The API defaults a missing interactionId to a fresh UUID; an import derives it, so a re-import matches.
  if (type === 'LogInteraction' && value.interactionId === undefined) value.interactionId = eventId;
  return { line, command: { type, customerId, occurredAt, data: value } as CustomerCommand, eventId };
}

export const isRejected = (parsed: ParsedLine | RejectedLine): parsed is RejectedLine => 'statusCode' in parsed;
