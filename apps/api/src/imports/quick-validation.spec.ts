import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import * as dtos from '../customers/customer.dtos';
import { quickValid, type DtoClass } from './quick-validation';

/** One valid body per command DTO. */
const SAMPLES: [DtoClass, Record<string, unknown>][] = [
  [dtos.RegisterCustomerDto, { name: 'Ana', email: 'ana@example.com', phone: '+30 210 1234567', birthDate: '1990-01-01', timeZone: 'Europe/Athens', language: 'el', preferredChannel: 'email', marketingConsent: true, tags: ['family'], occurredAt: '2024-01-01T10:00:00Z' }],
  [dtos.UpdateCustomerDto, { name: 'Ana B', tags: [], marketingConsent: false }],
  [dtos.BookTripDto, { bookingId: 'b-1', destination: { country: 'GR', city: 'Chania' }, departureDate: '2024-07-01', returnDate: '2024-07-08', amount: { value: 1000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' }],
  [dtos.AmendBookingDto, { departureDate: '2024-07-02', amount: { value: 0, currency: 'EUR' } }],
  [dtos.CancelBookingDto, { reason: 'illness', refund: { value: 10, currency: 'EUR' } }],
  [dtos.OccurredAtDto, { occurredAt: '2024-01-01T10:00:00.123+02:00' }],
  [dtos.FileComplaintDto, { complaintId: 'c-1', bookingId: 'b-1', category: 'room', severity: 'high', channel: 'phone', description: 'Noisy' }],
  [dtos.AcknowledgeComplaintDto, { note: 'on it' }],
  [dtos.ResolveComplaintDto, { resolution: 'refund', compensation: { value: 5000, currency: 'EUR' } }],
  [dtos.AnswerSurveyDto, { surveyId: 's-1', nps: 10, comment: 'great' }],
  [dtos.LogInteractionDto, { interactionId: 'i-1', channel: 'phone', direction: 'outbound', topic: 'welcome', summary: 'fine' }],
  [dtos.VipReasonDto, { reason: 'key account', occurredAt: '2024-01-01T10:00:00Z' }],
];

const BAD_VALUES: unknown[] = [undefined, null, '', ' ', 0, -1, 1.5, 1001, 11, 2 ** 53, 'x'.repeat(2001), [], ['a', 1], {}, { value: 1 }, true, 'yes', '2024-13-01T00:00:00Z', 'sometimes', [{}], Array(51).fill('t')];

const classValidatorErrors = (dto: DtoClass, body: Record<string, unknown>) =>
  validateSync(plainToInstance(dto as new () => object, body), { whitelist: true, forbidNonWhitelisted: true });

/** Every sample with each property (and each nested property) replaced by each bad value, removed, or joined by an unknown key. */
function* variants(body: Record<string, unknown>): Generator<Record<string, unknown>> {
  yield { ...body, unexpected: 1 };
  for (const key of Object.keys(body)) {
    for (const bad of BAD_VALUES) yield { ...body, [key]: bad };
    const { [key]: _removed, ...without } = body;
    yield without;
    const nested = body[key];
    if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
      for (const inner of variants(nested as Record<string, unknown>)) yield { ...body, [key]: inner };
    }
  }
}

describe('quick validation', () => {
  it.each(SAMPLES.map(([dto, body]) => [dto.name, dto, body] as const))('accepts a valid %s body, as class-validator does', (_name, dto, body) => {
    expect(classValidatorErrors(dto, body)).toEqual([]);
    expect(quickValid(dto, body)).toBe(true);
  });

  it.each(SAMPLES.map(([dto, body]) => [dto.name, dto, body] as const))('never accepts a %s body that class-validator refuses', (_name, dto, body) => {
    let refused = 0;
    for (const variant of variants(body)) {
      const errors = classValidatorErrors(dto, variant);
      if (errors.length) {
        refused++;
        expect({ variant, quick: quickValid(dto, variant) }).toEqual({ variant, quick: false });
      }
    }
    expect(refused).toBeGreaterThan(5);
  });
});
