/*
 * The shape of a command body: types, presence, lengths, allowed values and unknown keys. Every broken rule is
 * listed, in the words the HTTP edge has always used (they were class-validator's, and clients and import line
 * errors show them), so moving the rules here changed no answer. Formats and rules between fields come after the
 * shape, in the command parsers, and stop at the first field at fault.
 */
import { InvalidInput } from './domain.errors';
import { RULES } from './validation';

export interface FieldError {
  /** The API path of the field: 'amount.currency', 'destination.0'. */
  field: string;
  rule: string;
}

/** A rule on one value: its text when broken (named after the property), else undefined. */
type Check = (value: unknown, property: string) => string | undefined;

export interface Property {
  /** Absent, or null, it is not checked (the parser's formats then decide what null means). */
  optional?: boolean;
  checks: readonly Check[];
  /** The shape of an object value, checked in it (each item of an array). */
  nested?: Shape;
}

export type Shape = Readonly<Record<string, Property>>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const ISO_8601 =
  /^([+-]?\d{4}(?!\d{2}\b))((-?)((0[1-9]|1[0-2])(\3([12]\d|0[1-9]|3[01]))?|W([0-4]\d|5[0-3])(-?[1-7])?|(00[1-9]|0[1-9]\d|[12]\d{2}|3([0-5]\d|6[1-6])))([T\s]((([01]\d|2[0-3])((:?)[0-5]\d)?|24:?00)([.,]\d+(?!:))?)?(\17[0-5]\d([.,]\d+)?)?([zZ]|([+-])([01]\d|2[0-3]):?([0-5]\d)?)?)?)?$/;

/** ISO 8601 in any of its forms with a real calendar date (validator.js isISO8601 strict, which the edge used). */
const isIso8601 = (value: string): boolean => {
  if (!ISO_8601.test(value)) return false;
  const ordinal = /^(\d{4})-?(\d{3})([ T]\.*|$)/.exec(value);
  if (ordinal) {
    const year = Number(ordinal[1]);
    return Number(ordinal[2]) <= ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 366 : 365);
  }
  const [, year, month, day] = /(\d{4})-?(\d{0,2})-?(\d*)/.exec(value)!.map(Number) as number[];
  if (!month || !day) return true;
  const date = new Date(`${year}-${`0${month}`.slice(-2)}-${`0${day}`.slice(-2)}`);
  return date.getUTCFullYear() === year && date.getUTCMonth() + 1 === month && date.getUTCDate() === day;
};

/** Length as a reader counts it: a surrogate pair or a character with its variation selector is one. */
const length = (value: string): number =>
  value.length - (value.match(/[^\uFE0F\uFE0E][\uFE0F\uFE0E]/g) ?? []).length - (value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g) ?? []).length;

export const isString: Check = (v, p) => (typeof v === 'string' ? undefined : `${p} must be a string`);
export const notEmpty: Check = (v, p) => (v === '' || v === null || v === undefined ? `${p} should not be empty` : undefined);
export const maxLength =
  (max: number): Check =>
  (v, p) =>
    typeof v === 'string' && length(v) <= max ? undefined : `${p} must be shorter than or equal to ${max} characters`;
export const oneOf =
  (allowed: readonly string[]): Check =>
  (v, p) =>
    allowed.some((a) => a === v) ? undefined : `${p} must be one of the following values: ${allowed.join(', ')}`;
export const isBoolean: Check = (v, p) => (typeof v === 'boolean' ? undefined : `${p} must be a boolean value`);
export const isInt: Check = (v, p) => (typeof v === 'number' && Number.isInteger(v) ? undefined : `${p} must be an integer number`);
export const min =
  (least: number): Check =>
  (v, p) =>
    typeof v === 'number' && v >= least ? undefined : `${p} must not be less than ${least}`;
export const max =
  (most: number): Check =>
  (v, p) =>
    typeof v === 'number' && v <= most ? undefined : `${p} must not be greater than ${most}`;
export const iso8601: Check = (v, p) => (typeof v === 'string' && isIso8601(v) ? undefined : `${p} must be a valid ISO 8601 date string`);
export const isArray: Check = (v, p) => (Array.isArray(v) ? undefined : `${p} must be an array`);
export const arrayMaxSize =
  (most: number): Check =>
  (v, p) =>
    Array.isArray(v) && v.length <= most ? undefined : `${p} must contain no more than ${most} elements`;
export const eachMaxLength =
  (max: number): Check =>
  (v, p) =>
    (Array.isArray(v) ? v : [v]).every((item) => typeof item === 'string' && length(item) <= max) ? undefined : `each value in ${p} must be shorter than or equal to ${max} characters`;
export const eachString: Check = (v, p) =>
  (Array.isArray(v) ? v.every((item) => typeof item === 'string') : typeof v === 'string') ? undefined : `each value in ${p} must be a string`;
export const objectValue: Check = (v, p) => (isObject(v) ? undefined : `${p} must be an object`);
// An empty object is refused by the rules of its fields, as it always was: the edge turned it into an instance of its
// class first, whose fields made it non-empty. So this names only a value that is no object at all.
export const nonEmptyObject: Check = (v, p) => (isObject(v) ? undefined : `${p} must be a non-empty object`);

/** Text of at most `most` characters; `required` also refuses ''. */
export const text = (options: { optional?: boolean; nonEmpty?: boolean; max?: number } = {}): Property => ({
  optional: options.optional,
  checks: [isString, ...(options.nonEmpty ? [notEmpty] : []), ...(options.max !== undefined ? [maxLength(options.max)] : [])],
});

const nestedValueRule = (property: string): string => `nested property ${property} must be either object or array`;

function propertyErrors(name: string, spec: Property, value: unknown, path: string, errors: FieldError[]): void {
  if (spec.optional && (value === undefined || value === null)) return;
  const own: FieldError[] = [];
  if (spec.nested && value !== undefined && typeof value !== 'object') own.push({ field: path, rule: nestedValueRule(name) });
  if (spec.nested && value === null) own.push({ field: path, rule: nestedValueRule(name) });
  for (const check of spec.checks) {
    const rule = check(value, name);
    if (rule !== undefined) own.push({ field: path, rule });
  }
  errors.push(...own);
  if (!spec.nested || typeof value !== 'object' || value === null) return;
  if (!Array.isArray(value)) {
    shapeErrors(spec.nested, value as Record<string, unknown>, path, errors);
    return;
  }
  value.forEach((item, i) => {
    if (isObject(item)) shapeErrors(spec.nested!, item, `${path}.${i}`, errors);
    else errors.push({ field: `${path}.${i}`, rule: nestedValueRule(name) });
  });
}

/** Every rule `body` breaks: unknown keys first, then each property in the shape's order. */
export function shapeErrors(shape: Shape, body: Record<string, unknown>, prefix = '', errors: FieldError[] = []): FieldError[] {
  const at = (key: string): string => (prefix ? `${prefix}.${key}` : key);
  for (const key of Object.keys(body)) {
    if (!Object.hasOwn(shape, key)) errors.push({ field: at(key), rule: `property ${key} should not exist` });
  }
  for (const [name, spec] of Object.entries(shape)) propertyErrors(name, spec, body[name], at(name), errors);
  return errors;
}

/** How one command type is parsed: its body's shape, the ids the API takes from the path, then its formats. */
export interface CommandRules {
  /** The body as the API takes it, without occurredAt and the path ids. */
  shape: Shape;
  /** Ids the API takes from the path; an import line carries them as fields. Checked after the customer id. */
  pathIds?: readonly string[];
  /** Formats and rules between fields, on a body of the right shape; throws InvalidInput naming the first field at fault. */
  check(data: Record<string, unknown>, occurredAt: string): void;
}

/** A typed command, or the refusal: `error.errors` lists every broken rule of the shape, else `error` names the one format at fault. */
export type Parsed<C> = { ok: true; command: C } | { ok: false; error: InvalidInput };

/**
 * Untrusted input becomes a command in two steps: the body's shape, every broken rule listed (then `more`, rules of
 * what came beside the body), and, on a body of the right shape, `build`, whose format checks throw InvalidInput
 * naming the first field at fault.
 */
export function parseShaped<C>(shape: Shape, body: unknown, build: (body: Record<string, unknown>) => C, more: readonly FieldError[] = []): Parsed<C> {
  if (!isObject(body)) return { ok: false, error: new InvalidInput('body', RULES.object) };
  const errors = [...shapeErrors(shape, body), ...more];
  if (errors.length) return { ok: false, error: new InvalidInput(errors[0].field, errors[0].rule, errors.map((e) => e.rule).join('; '), errors) };
  try {
    return { ok: true, command: build(body) };
  } catch (error) {
    if (error instanceof InvalidInput) return { ok: false, error };
    throw error;
  }
}
