import { randomBytes } from 'node:crypto';
import { ERASED } from '../../domain/src';
import { UnstorableEvent } from '../../event-store/src';
import { ENVELOPE_FIELD, UnreadablePersonalData, open, seal } from './personal-envelope';

const key = randomBytes(32);
const registered = {
  customerId: 'c-1',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  birthDate: '1990-02-28',
  timeZone: 'Europe/London',
  language: 'en',
  preferredChannel: 'email',
  marketingConsent: true,
  tags: ['family'],
};

describe('seal', () => {
  it('moves the personal fields present into the envelope and leaves the rest readable', () => {
    const sealed = seal('CustomerRegistered', 'e-1', registered, key);
    expect(sealed).toEqual({
      customerId: 'c-1',
      timeZone: 'Europe/London',
      language: 'en',
      preferredChannel: 'email',
      marketingConsent: true,
      tags: ['family'],
      [ENVELOPE_FIELD]: { v: 1, fields: ['name', 'email', 'birthDate'], ct: expect.any(String) },
    });
    expect(JSON.stringify(sealed)).not.toMatch(/Ada|example|1990/);
  });

  it('gives the same bytes for the same event id and content (a retried append stays a no-op), other bytes otherwise', () => {
    const ct = (eventId: string, data: Record<string, unknown>): unknown => (seal('CustomerRegistered', eventId, data, key)[ENVELOPE_FIELD] as { ct: string }).ct;
    expect(ct('e-1', registered)).toBe(ct('e-1', { ...registered }));
    expect(ct('e-2', registered)).not.toBe(ct('e-1', registered));
    expect(ct('e-1', { ...registered, name: 'Ada King' })).not.toBe(ct('e-1', registered));
    // Neither the IV nor the ciphertext repeats between two events of one customer with the same text.
    const [a, b] = [ct('e-1', registered) as string, ct('e-2', registered) as string].map((text) => Buffer.from(text, 'base64'));
    expect(a.subarray(0, 12).equals(b.subarray(0, 12))).toBe(false);
  });

  it.each([['nul\u0000byte'], ['half \ud800 pair']])('refuses text the database could not store (%p), as the database would', (description) => {
    expect(() => seal('ComplaintFiled', 'e-1', { complaintId: 'cp-1', description }, key)).toThrow(UnstorableEvent);
  });

  it('leaves events without personal fields untouched', () => {
    const trip = { bookingId: 'b-1', amount: { value: 1, currency: 'EUR' } };
    expect(seal('TripBooked', 'e-1', trip, key)).toBe(trip);
    const acknowledged = { complaintId: 'cp-1' };
    expect(seal('ComplaintAcknowledged', 'e-1', acknowledged, key)).toBe(acknowledged);
  });
});

describe('open', () => {
  const sealed = seal('CustomerRegistered', 'e-1', registered, key);

  it('restores the personal fields with the key', () => {
    expect(open('CustomerRegistered', 'e-1', sealed, key)).toEqual(registered);
  });

  it('erases them once the key is destroyed: name as [erased], e-mail and birth date absent', () => {
    const erased = open('CustomerRegistered', 'e-1', sealed, null);
    expect(erased).toEqual({ ...registered, name: ERASED, email: undefined, birthDate: undefined });
    expect(erased).not.toHaveProperty('email');
    expect(erased).not.toHaveProperty('birthDate');
    expect(erased).not.toHaveProperty(ENVELOPE_FIELD);
  });

  it('erases personal fields stored in plain text (written before encryption) once the customer is forgotten', () => {
    expect(open('ComplaintFiled', 'e-1', { complaintId: 'cp-1', description: 'noisy neighbours' }, null)).toEqual({ complaintId: 'cp-1', description: ERASED });
    const plain = { complaintId: 'cp-1', description: 'noisy neighbours' };
    expect(open('ComplaintFiled', 'e-1', plain, key)).toBe(plain);
  });

  it('refuses a ciphertext moved to another event, altered or cut short, and a sealed event without a key', () => {
    expect(() => open('CustomerRegistered', 'e-2', sealed, key)).toThrow(UnreadablePersonalData);
    const envelope = sealed[ENVELOPE_FIELD] as { ct: string };
    const bytes = Buffer.from(envelope.ct, 'base64');
    bytes[bytes.length - 1] ^= 1;
    expect(() => open('CustomerRegistered', 'e-1', { ...sealed, [ENVELOPE_FIELD]: { ...envelope, ct: bytes.toString('base64') } }, key)).toThrow('fails authentication');
    expect(() => open('CustomerRegistered', 'e-1', { ...sealed, [ENVELOPE_FIELD]: { ...envelope, ct: 'AAAA' } }, key)).toThrow('fails authentication');
    expect(() => open('CustomerRegistered', 'e-1', sealed, randomBytes(32))).toThrow('fails authentication');
    expect(() => open('CustomerRegistered', 'e-1', sealed, undefined)).toThrow('no data key');
    expect(() => open('CustomerRegistered', 'e-1', { ...sealed, [ENVELOPE_FIELD]: { v: 2 } }, key)).toThrow('not a version 1 envelope');
  });
});
