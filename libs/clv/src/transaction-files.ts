import type { Transaction } from './customer-summary';

export type TransactionFormat = 'cdnow' | 'csv';
export const TRANSACTION_FORMATS: readonly TransactionFormat[] = ['cdnow', 'csv'];

/** A line that is not a transaction of the format; the message starts with the line number. */
export class TransactionFileError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'TransactionFileError';
  }
}

const CDNOW_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The CDNOW files (../shared/data/cdnow/README.md): the sample is `id_total id_sample YYYYMMDD cds dollars` without a
 * header and its customer is the second column (id_sample, as in the published figures); the master file has a header
 * and `customer_id YYYYMMDD cds dollars`. Leading zeros of ids are dropped (0001 is customer 1).
 */
function* cdnow(lines: string[]): Generator<Transaction> {
  for (let i = 0; i < lines.length; i++) {
    const columns = lines[i].trim().split(/\s+/);
    if (columns.length === 1 && columns[0] === '') continue;
    if (i === 0 && !/^\d+$/.test(columns[0])) continue; // the master file's header
    if (columns.length !== 4 && columns.length !== 5) {
      throw new TransactionFileError(i + 1, `a CDNOW row has 4 (master) or 5 (sample) whitespace-separated columns, got ${columns.length}`);
    }
    const [id, date, , dollars] = columns.length === 5 ? columns.slice(1) : columns;
    const day = CDNOW_DATE.exec(date);
    if (!/^\d+$/.test(id)) throw new TransactionFileError(i + 1, `customer id must be digits, got "${id}"`);
    if (!day) throw new TransactionFileError(i + 1, `date must be YYYYMMDD, got "${date}"`);
    const amount = Number(dollars);
    if (!Number.isFinite(amount)) throw new TransactionFileError(i + 1, `dollar value must be a number, got "${dollars}"`);
    yield { customerId: id.replace(/^0+(?=\d)/, ''), at: `${day[1]}-${day[2]}-${day[3]}`, amount };
  }
}

/** One CSV line into fields: commas separate, double quotes enclose, "" is a quote inside quotes. */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** `customer_id,date,amount` with that header; dates ISO 8601 (date or instant), amounts in major units. */
function* csv(lines: string[]): Generator<Transaction> {
  const header = csvFields(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  if (header.join(',') !== 'customer_id,date,amount') {
    throw new TransactionFileError(1, `the header must be customer_id,date,amount, got "${(lines[0] ?? '').trim()}"`);
  }
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const fields = csvFields(lines[i]).map((f) => f.trim());
    if (fields.length !== 3) throw new TransactionFileError(i + 1, `expected 3 fields (customer_id,date,amount), got ${fields.length}`);
    const [customerId, date, amountText] = fields;
    if (customerId === '') throw new TransactionFileError(i + 1, 'customer_id is empty');
    if (!ISO_DATE.test(date) || Number.isNaN(Date.parse(date))) {
      throw new TransactionFileError(i + 1, `date must be an ISO 8601 date or instant such as 2024-05-01, got "${date}"`);
    }
    const amount = Number(amountText);
    if (amountText === '' || !Number.isFinite(amount)) throw new TransactionFileError(i + 1, `amount must be a number, got "${amountText}"`);
    yield { customerId, at: date, amount };
  }
}

/** The transactions of a file's text; throws TransactionFileError naming the first bad line. */
export function parseTransactions(text: string, format: TransactionFormat): Transaction[] {
  const lines = text.split(/\r?\n/);
  return [...(format === 'cdnow' ? cdnow(lines) : csv(lines))];
}
