import { fromMajorUnits } from '../../../../libs/domain/src';
import type { Line } from './import-line';

// fatal: bytes that are not UTF-8 refuse their line, where a lenient decoder would have stored U+FFFD as if sent.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a byte stream into numbered lines without holding more than one line: a line longer than `maxBytes`, or
 * not UTF-8, comes out with an error instead of its text (the rest of a long one is skipped). Lines are split on the
 * byte 0x0A and each decoded alone, so a bad byte refuses only its own line. Blank lines are skipped but counted.
 * Each line carries `end`, the input bytes up to and including it, so progress can be shown against a file size.
 */
export async function* readLines(input: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  /** Bytes of the current line before this chunk, held in `parts` unless it is too long (then only counted). */
  let held = 0;
  let line = 0;
  let consumed = 0;
  /** `bytes` is the line without its 0x0A, undefined when it is too long; `length` counts all it took from the input. */
  const emit = function* (bytes: Buffer | undefined, length: number): Generator<Line> {
    line++;
    consumed += length;
    if (!bytes) {
      yield { line, text: '', error: `must be at most ${maxBytes} bytes long`, end: consumed };
      return;
    }
    let text: string;
    try {
      // A leading BOM (some editors write one) is dropped, as the decoder does by default.
      text = utf8.decode(bytes);
    } catch {
      yield { line, text: '', error: 'must be UTF-8', end: consumed };
      return;
    }
    if (text.trim() !== '') yield { line, text: text.endsWith('\r') ? text.slice(0, -1) : text, end: consumed };
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
      const size = held + end - start;
      const piece = bytes.subarray(start, end);
      yield* emit(size > maxBytes ? undefined : parts.length ? Buffer.concat([...parts, piece]) : piece, size + 1);
      parts = [];
      held = 0;
      start = end + 1;
    }
    held += bytes.length - start;
    if (held <= maxBytes) parts.push(bytes.subarray(start));
    else parts = [];
  }
  if (held > 0) yield* emit(held > maxBytes ? undefined : Buffer.concat(parts), held);
}

const CDNOW_DATE = /^(\d{4})(\d{2})(\d{2})$/;

/**
 * The CDNOW transaction files (../shared/data/cdnow/README.md): `id_total id_sample date cds dollars` (sample)
 * or a header and `customer_id date cds dollars` (master). Each customer is registered at the first purchase;
 * each purchase day becomes a booking of the day's total and a trip completed that day (departure and return).
 * Times are noon UTC, so the day is the same calendar day in the customers' (US) time zone.
 */
export async function* cdnowCommands(lines: AsyncIterable<Line>): AsyncGenerator<Line> {
  let customer: string | undefined;
  let day: { line: number; date: string; cents: number; end?: number } | undefined;
  const dayCommands = function* (): Generator<Line> {
    if (!day || !customer) return;
    const customerId = `cdnow-${customer}`;
    const bookingId = `${customerId}-${day.date}`;
    const occurredAt = `${day.date}T12:00:00Z`;
    const end = day.end;
    yield {
      line: day.line,
      end,
      text: JSON.stringify({
        type: 'BookTrip',
        customerId,
        occurredAt,
        bookingId,
        destination: { country: 'US', city: 'Online' },
        departureDate: day.date,
        returnDate: day.date,
        amount: { value: day.cents, currency: 'USD' },
        travellers: 1,
        productType: 'cd-order',
        channel: 'web',
      }),
    };
    yield { line: day.line, end, text: JSON.stringify({ type: 'RecordDeparture', customerId, occurredAt, bookingId }) };
    yield { line: day.line, end, text: JSON.stringify({ type: 'RecordReturn', customerId, occurredAt, bookingId }) };
  };
  for await (const { line, text, error, end } of lines) {
    const columns = text.trim().split(/\s+/);
    if (line === 1 && !/^\d+$/.test(columns[0] ?? '')) continue; // the master file's header
    const [rawId, rawDate, , dollars] = columns.length === 5 ? [columns[0], columns[2], columns[3], columns[4]] : columns;
    const date = CDNOW_DATE.exec(rawDate ?? '');
    if (error) {
      yield { line, text, error, end };
      continue;
    }
    if ((columns.length !== 4 && columns.length !== 5) || !/^\d+$/.test(rawId) || !date || !Number.isFinite(Number(dollars))) {
      yield { line, text, end, error: 'must be a CDNOW row: [id_total] customer_id YYYYMMDD number_of_cds dollar_value' };
      continue;
    }
    // The sample writes 00004 where the master writes 4: one customer, one stream.
    const id = rawId.replace(/^0+(?=\d)/, '');
    const isoDate = `${date[1]}-${date[2]}-${date[3]}`;
    const cents = fromMajorUnits(Number(dollars), 'USD').value;
    if (id === customer && isoDate === day?.date) {
      day.cents += cents;
      day.end = end;
      continue;
    }
    yield* dayCommands();
    if (id !== customer) {
      customer = id;
      yield {
        line,
        end,
        text: JSON.stringify({
          type: 'RegisterCustomer',
          customerId: `cdnow-${id}`,
          occurredAt: `${isoDate}T12:00:00Z`,
          name: `CDNOW customer ${id}`,
          timeZone: 'America/New_York',
          language: 'en',
          preferredChannel: 'email',
          marketingConsent: false,
          tags: ['cdnow'],
        }),
      };
    }
    day = { line, date: isoDate, cents, end };
  }
  yield* dayCommands();
}
