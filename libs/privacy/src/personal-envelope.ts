import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { erasePersonal, erasedValues, isUnstorableText, personalFieldsOf } from '../../domain/src';
import { UnstorableEvent } from '../../event-store/src';
import type { DataKey } from './customer-keys';

/**
 * The personal fields of an event (PERSONAL_EVENT_FIELDS) as stored: moved out of `data` into one field,
 * `"$personal": {"v": 1, "fields": [names present], "ct": base64(iv | tag | ciphertext)}`, the ciphertext being
 * AES-256-GCM of the JSON of those fields under the customer's data key, with the event id as additional
 * authenticated data, so a ciphertext copied into another event does not decrypt.
 */
export const ENVELOPE_FIELD = '$personal';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

type Data = Record<string, unknown>;

interface Envelope {
  v: number;
  fields: string[];
  ct: string;
}

/** An event whose personal fields cannot be read: a missing key, or a ciphertext that fails authentication. */
export class UnreadablePersonalData extends Error {
  constructor(eventId: string, reason: string) {
    super(`cannot read the personal data of event ${eventId}: ${reason}`);
  }
}

/** The personal fields an event's data holds. */
export const personalFieldsIn = (type: string, data: Data): string[] => personalFieldsOf(type).filter((name) => data[name] !== undefined);

export const isSealed = (data: Data): boolean => Object.hasOwn(data, ENVELOPE_FIELD);

/**
 * The IV is synthetic, not random: the first 12 bytes of HMAC-SHA256(key, eventId NUL plaintext). The store treats
 * re-appending an event id with the same content as an idempotent no-op and compares the stored content; a random IV
 * would give a retry other bytes, and every retry would fail as a DuplicateEventId. The same id and plaintext give
 * the same IV and ciphertext; a different plaintext gives a different IV (GCM's one danger is one IV under one key
 * for two plaintexts, here an HMAC collision on 96 bits, out of reach for the events of one customer's key).
 */
export function seal(type: string, eventId: string, data: Data, key: Buffer): Data {
  const fields = personalFieldsIn(type, data);
  if (!fields.length) return data;
  const personal: Data = {};
  const rest: Data = { ...data };
  for (const name of fields) {
    const value = data[name];
    // The database refused a NUL or a lone surrogate in jsonb; inside the ciphertext it would not, and the decrypted
    // text would then fail every projection that writes it: refused here as the database would have.
    if (typeof value === 'string' && isUnstorableText(value)) {
      throw new UnstorableEvent(`event ${eventId} cannot be stored: ${name} holds a NUL character or a lone surrogate`);
    }
    personal[name] = value;
    delete rest[name];
  }
  const plaintext = Buffer.from(JSON.stringify(personal), 'utf8');
  const iv = createHmac('sha256', key).update(eventId, 'utf8').update('\0').update(plaintext).digest().subarray(0, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(eventId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const envelope: Envelope = { v: VERSION, fields, ct: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64') };
  return { ...rest, [ENVELOPE_FIELD]: envelope };
}

const envelopeOf = (eventId: string, value: unknown): Envelope => {
  const envelope = value as Partial<Envelope> | null;
  const valid =
    typeof envelope === 'object' && envelope !== null && envelope.v === VERSION && typeof envelope.ct === 'string' &&
    Array.isArray(envelope.fields) && envelope.fields.every((name) => typeof name === 'string');
  if (!valid) throw new UnreadablePersonalData(eventId, `the ${ENVELOPE_FIELD} field is not a version ${VERSION} envelope`);
  return envelope as Envelope;
};

/**
 * The event's data as readers see it: decrypted with the customer's key; once the customer is forgotten (key null),
 * every field the envelope names erased (ERASED, or absent for ERASED_BY_OMISSION). Personal fields stored in plain
 * text (events written before encryption) are erased too once the customer is forgotten: they stay in the log, but
 * nothing shows them. `key` undefined: the customer has no key at all, which an envelope makes an error, never an
 * erasure (a lost keys table must not pass for forgetting).
 */
export function open(type: string, eventId: string, data: Data, key: DataKey | undefined): Data {
  if (!isSealed(data)) return key === null ? erasePersonal(data, personalFieldsOf(type)) : data;
  const { [ENVELOPE_FIELD]: value, ...rest } = data;
  const envelope = envelopeOf(eventId, value);
  if (key === null) return { ...rest, ...erasedValues(envelope.fields) };
  if (key === undefined) throw new UnreadablePersonalData(eventId, 'its customer has no data key');
  const sealed = Buffer.from(envelope.ct, 'base64');
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(eventId, 'utf8'));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    plaintext = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new UnreadablePersonalData(eventId, 'the ciphertext fails authentication (altered, cut short, or copied from another event)');
  }
  return { ...rest, ...(JSON.parse(plaintext.toString('utf8')) as Data) };
}
