/* Valid HTTP request bodies and answer checks shared by the e2e specs. Test-only. */
import type { Response } from 'supertest';
import type { TestApp } from '../support/test-app';

export const registration = (customerId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  customerId,
  name: 'Maria Papadopoulou',
  email: 'maria@example.com',
  phone: '+30 210 1234567',
  timeZone: 'Europe/Athens',
  language: 'el',
  preferredChannel: 'email',
  marketingConsent: false,
  tags: ['family'],
  occurredAt: '2025-01-10T09:00:00Z',
  ...overrides,
});

export const trip = (bookingId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  bookingId,
  destination: { country: 'GR', city: 'Heraklion' },
  departureDate: '2025-06-01',
  returnDate: '2025-06-14',
  amount: { value: 250_000, currency: 'EUR' },
  travellers: 2,
  productType: 'package',
  channel: 'web',
  occurredAt: '2025-01-20T10:00:00Z',
  ...overrides,
});

export const complaint = (complaintId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  complaintId,
  category: 'accommodation',
  severity: 'high',
  channel: 'phone',
  description: 'Room was not as booked.',
  occurredAt: '2025-06-05T12:00:00Z',
  ...overrides,
});

export const interaction = (interactionId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  interactionId,
  channel: 'phone',
  direction: 'outbound',
  topic: 'welcome-home call',
  summary: 'Enjoyed the trip; asks about Crete in October.',
  occurredAt: '2025-06-20T15:00:00Z',
  ...overrides,
});

export interface CommandAnswer {
  customerId: string;
  version: number;
  position: number | null;
}

/** Sends one command and insists on its status, showing the answer body when it differs. */
export async function command(
  t: TestApp,
  method: 'post' | 'patch',
  path: string,
  body: object | undefined,
  status: number,
  headers: Record<string, string> = {},
): Promise<CommandAnswer> {
  let req = t.http()[method](path);
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  const res = body === undefined ? await req : await req.send(body);
  if (res.status !== status) throw new Error(`${method.toUpperCase()} ${path}: expected ${status}, got ${res.status} ${res.text}`);
  return res.body as CommandAnswer;
}

/** An error answer never leaks internals: no `stack` key and no stack-frame lines anywhere in it. */
export function expectNoStackTrace(res: Response): void {
  expect(res.body).not.toHaveProperty('stack');
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|\n\s+at |node_modules|\.ts:\d+/);
}
