import 'reflect-metadata';
import { ValidationTypes, getMetadataStorage, type ValidationArguments } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/*
 * class-validator spends most of an import's CPU in its executor (metadata lookups, error objects), not in the
 * checks. This runs the very same checks (the constraint instances its decorators registered) straight over a
 * plain object, and only answers "certainly valid". Anything it does not model (an unknown key, a decorator
 * type it does not know, a nested value that is not a plain object) answers false, and the caller runs the
 * full class-validator, which then produces the errors the API would. So a line is never accepted that the
 * API would refuse, and refusals read exactly as the API's.
 */

type Check = (object: Record<string, unknown>) => boolean;
/** A DTO class, as class-validator keys its metadata. */
export type DtoClass = abstract new (...args: never[]) => object;
const storage = getMetadataStorage();
const compiled = new Map<DtoClass, Check>();

const constraintCheck = (metadata: ValidationMetadata, property: string): ((object: Record<string, unknown>, value: unknown) => boolean) => {
  const constraints = storage.getTargetValidatorConstraints(metadata.constraintCls);
  return (object, value) => {
    if (metadata.validateIf && !metadata.validateIf(object, value)) return true;
    const args: ValidationArguments = { targetName: '', property, object, value, constraints: metadata.constraints };
    for (const { instance, async } of constraints) {
      if (async) return false;
      if (metadata.each && (value instanceof Set || value instanceof Map)) return false;
      const ok = metadata.each && Array.isArray(value) ? value.every((item) => instance.validate(item, args) === true) : instance.validate(value, args) === true;
      if (!ok) return false;
    }
    return true;
  };
};

function compile(cls: DtoClass): Check {
  const known = compiled.get(cls);
  if (known) return known;
  const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(cls, '', false, false));
  const properties = new Set(Object.keys(grouped));
  const checks: Check[] = [];
  let modelled = properties.size > 0;
  for (const [property, metadatas] of Object.entries(grouped)) {
    const conditions = metadatas.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION);
    const customs = metadatas.filter((m) => m.type === ValidationTypes.CUSTOM_VALIDATION).map((m) => constraintCheck(m, property));
    const nested = metadatas.some((m) => m.type === ValidationTypes.NESTED_VALIDATION);
    if (metadatas.some((m) => ![ValidationTypes.CONDITIONAL_VALIDATION, ValidationTypes.CUSTOM_VALIDATION, ValidationTypes.NESTED_VALIDATION].includes(m.type))) {
      modelled = false;
    }
    const nestedType: unknown = Reflect.getMetadata('design:type', cls.prototype, property);
    if (nested && typeof nestedType !== 'function') modelled = false;
    checks.push((object) => {
      const value = object[property];
      if (!conditions.every((m) => (m.constraints[0] as (o: object, v: unknown) => boolean)(object, value))) return true;
      if (!customs.every((check) => check(object, value))) return false;
      if (!nested || value === undefined) return true;
      return isPlainObject(value) && quickValid(nestedType as DtoClass, value);
    });
  }
  const check: Check = modelled
    ? (object) => Object.keys(object).every((key) => properties.has(key)) && checks.every((one) => one(object))
    : () => false;
  compiled.set(cls, check);
  return check;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/** True only when class-validator with whitelist + forbidNonWhitelisted would find nothing wrong with `object`. */
export const quickValid = (cls: DtoClass, object: Record<string, unknown>): boolean => compile(cls)(object);
