/** The customers and bookings the HTTP benchmarks send (bench/http.bench.ts, bench/overload.bench.ts). */
import type { HttpClient } from './http-load';
import { sleep } from './bench-support';

export const registration = (customerId: string) => ({
  customerId,
  name: 'Maria Papadopoulou',
  email: 'maria@example.com',
  phone: '+30 210 1234567',
  timeZone: 'Europe/Athens',
  language: 'el',
  preferredChannel: 'email',
  marketingConsent: true,
  tags: ['family'],
});

let bookings = 0;
/** A booking with an id of its own in this process (b-1, b-2, ...). */
export const booking = () => ({
  bookingId: `b-${++bookings}`,
  destination: { country: 'GR', city: 'Heraklion' },
  departureDate: '2027-06-01',
  returnDate: '2027-06-14',
  amount: { value: 250_000, currency: 'EUR' },
  travellers: 2,
  productType: 'package',
  channel: 'web',
});

/**
 * Registers the customers, 8 at a time; a 503 with Retry-After (the engine shedding, as it may while it starts) is
 * sent again after the pause, any other answer but 201 fails the benchmark.
 */
export async function registerCustomers(http: HttpClient, customers: string[]): Promise<void> {
  for (let next = 0; next < customers.length; ) {
    const chunk = customers.slice(next, (next += 8));
    await Promise.all(
      chunk.map(async (id) => {
        for (;;) {
          const answer = await http.post('/customers', registration(id));
          if (answer.status === 201) return;
          if (answer.status !== 503 || answer.retryAfterSeconds === undefined) throw new Error(`POST /customers answered ${answer.status}: ${answer.body}`);
          await sleep(answer.retryAfterSeconds * 1000);
        }
      }),
    );
  }
}
