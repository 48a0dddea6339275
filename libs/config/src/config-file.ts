import { readFileSync } from 'node:fs';

/** A configuration file (SEGMENTS_CONFIG, CHURN_CONFIG) that cannot be used; the message names every wrong entry. */
export class ConfigFileError extends Error {}

export type Json = Record<string, unknown>;
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Objects merge key by key; arrays and values replace: a file states only what differs from the defaults. The paths
 * in `replacedWhole` (lists of named rules) are taken whole from the file when it gives them.
 */
export const mergeConfig = (base: unknown, override: unknown, replacedWhole: readonly string[] = [], path = ''): unknown => {
  if (!isObject(base) || !isObject(override) || replacedWhole.includes(path)) return override === undefined ? base : override;
  const merged: Json = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergeConfig(base[key], value, replacedWhole, path ? `${path}.${key}` : key);
  return merged;
};

/** Checks the whole config at once and names every wrong entry by its path. */
export class Checker {
  readonly problems: string[] = [];
  fail(path: string, rule: string): void {
    this.problems.push(`${path}: ${rule}`);
  }
  keys(path: string, value: unknown, known: readonly string[], what = 'key'): value is Json {
    if (!isObject(value)) {
      this.fail(path, 'must be an object');
      return false;
    }
    for (const key of Object.keys(value)) if (!known.includes(key)) this.fail(path ? `${path}.${key}` : key, `unknown ${what} (known: ${known.join(', ')})`);
    return true;
  }
  number(path: string, value: unknown, rule: { min?: number; max?: number; integer?: boolean; above?: number } = {}): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(path, `must be a number (got ${JSON.stringify(value)})`);
    if (rule.integer && !Number.isInteger(value)) this.fail(path, `must be a whole number (got ${value})`);
    if (value < (rule.min ?? 0)) this.fail(path, `must not be ${rule.min === undefined || rule.min === 0 ? 'negative' : `below ${rule.min}`} (got ${value})`);
    if (rule.above !== undefined && value <= rule.above) this.fail(path, `must be above ${rule.above} (got ${value})`);
    if (rule.max !== undefined && value > rule.max) this.fail(path, `must be at most ${rule.max} (got ${value})`);
  }
  strings(path: string, value: unknown, optional = false): void {
    if (optional && value === undefined) return;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !item)) this.fail(path, 'must be a list of non-empty strings');
  }
}

/** The parsed JSON of `variable`=`path`, or an error naming the variable, the file and what is wrong. */
export function readJsonConfig(variable: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(`${variable}=${path}: cannot read the file (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(`${variable}=${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}
