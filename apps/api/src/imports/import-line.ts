import { CUSTOMER_COMMAND_TYPES, InvalidInput, isCustomerCommandType, parseCustomerCommand, pathIdsOf, type CustomerCommand } from '../../../../libs/domain/src';
import { uuidFrom } from '../../../../libs/event-store/src';
import { tooDeep, toErrorBody, type ErrorBody } from '../http/errors';

/**
 * An import line is a command in the API's shape: the request body of its endpoint, plus `type`, `customerId`,
 * `occurredAt` (required here: an import replays the past) and the ids the API takes from the path
 * (`bookingId`, `complaintId`, `touchpointId`). `eventId` is optional; without it the ids derive from the line's text.
 */
const TYPES = CUSTOMER_COMMAND_TYPES.join(', ');
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

/** The ids of a line's further events follow from its first (uuidFrom: the same text always gives the same id). */
export const nthEventId = (first: string, n: number): string => (n === 0 ? first : uuidFrom(`${first}#${n}`));

const reject = (line: number, error: unknown): RejectedLine => ({ line, ...toErrorBody(error) });

/**
 * Parses a line with the API's parser (parseCustomerCommand), so it is refused exactly as the request would be; only
 * the line's own fields (JSON, type, a required occurredAt, eventId) are checked here first.
 */
export function parseLine(text: string, line: number): ParsedLine | RejectedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject(line, new InvalidInput('line', 'must be one JSON object'));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return reject(line, new InvalidInput('line', 'must be one JSON object'));
  if (tooDeep(value)) return reject(line, new InvalidInput('line', 'must nest at most 32 levels'));
  const { type, customerId, eventId, occurredAt, ...body } = value as Record<string, unknown>;
  if (!isCustomerCommandType(type)) return reject(line, new InvalidInput('type', `must be one of ${TYPES}`));
  if (occurredAt === undefined) return reject(line, new InvalidInput('occurredAt', 'is required in an import'));
  if (eventId !== undefined && (typeof eventId !== 'string' || !UUID.test(eventId))) return reject(line, new InvalidInput('eventId', 'must be a UUID'));
  const ids: Record<string, unknown> = {};
  for (const field of pathIdsOf(type)) {
    ids[field] = body[field];
    delete body[field];
  }
  const first = (eventId as string | undefined)?.toLowerCase() ?? uuidFrom(text.trim());
  // The API defaults a missing interactionId to a fresh UUID; an import derives it, so a re-import matches.
  if (type === 'LogInteraction' && body.interactionId === undefined) body.interactionId = first;
  const parsed = parseCustomerCommand({ type, customerId, occurredAt, body, ids });
  return parsed.ok ? { line, command: parsed.command, eventId: first } : reject(line, parsed.error);
}

/**
 * The command of a line parseLine accepted, rebuilt without parsing it again (for lines the parser thread accepted:
 * cheaper than cloning them across threads): the same command parseLine gave, as the parser keeps the data as it
 * is (the line minus type, customerId, eventId and occurredAt; the path ids stay in it).
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
