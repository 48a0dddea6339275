import { createHash } from 'node:crypto';

/*
 * Safe retries without a table of keys: a command sent with an idempotency key writes events whose ids are derived from
 * (caller, key, index), and carries a hash of its request in their metadata. The events are the record of the key, so
 * there is no moment at which the events are stored but the key is not; a retry finds them by id in the stream it
 * reads anyway, and the store's event-id uniqueness stops a duplicate that slips past that read (command-handling.ts).
 */

/**
 * A UUID that is a function of `text` (SHA-256, shaped as version 5): the same text always gives the same id. Imports
 * derive their event ids from their lines with it (a re-import meets its own events), so it must never change.
 */
export const uuidFrom = (text: string): string => {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** The same parts always give the same UUID; as JSON, ("a b", "c") and ("a", "b c") stay apart, and no import line is such an array. */
export const derivedId = (...parts: string[]): string => uuidFrom(JSON.stringify(['idempotency', ...parts]));

/** The id of the `index`th event a keyed command of `actorId` writes. */
export const idempotentEventId = (actorId: string, key: string, index: number): string => derivedId('event', actorId, key, String(index));

/** JSON with the keys of every object sorted: equal for equal content, whatever the key order or the realm of the objects. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
    .join(',')}}`;
};

/** The key was used before, by this caller, for another request: nothing was written (HTTP 422). */
export class IdempotencyKeyReused extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key ${JSON.stringify(key)} was used before for another request; send a new key for a new request`);
  }
}
