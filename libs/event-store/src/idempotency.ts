import { createHash } from 'node:crypto';

/**
 * Safe retries without a table of keys: a command sent with an idempotency key writes events whose ids are derived from
 * (caller, key, index), and carries a hash of its request in their metadata. The events are the record of the key, so
 * there is no moment at which the events are stored but the key is not; a retry finds them by id in the stream it
 * reads anyway, and the store's event-id uniqueness stops a duplicate that slips past that read (command-handling.ts).
 */
/** This engine's namespace for name-based ids (a fixed random UUID): ids derived here never equal another system's. */
const NAMESPACE = Buffer.from('4666d0746b664aa2b302b2f0f431d3ec', 'hex');

/** RFC 9562 version 5 (SHA-1, name-based) UUID of `name` in `namespace` (16 bytes). */
export const uuidV5 = (namespace: Buffer, name: string): string => {
  const hash = createHash('sha1').update(namespace).update(name).digest().subarray(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** The same parts always give the same UUID; JSON keeps ("a b", "c") apart from ("a", "b c"). */
export const derivedId = (...parts: string[]): string => uuidV5(NAMESPACE, JSON.stringify(parts));

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
