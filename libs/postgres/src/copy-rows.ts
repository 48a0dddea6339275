import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** COPY's text format: backslash, tab, newline and carriage return are escaped; JSON text holds no raw control characters. */
export const copyText = (value: string): string => (/[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : value);
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A row in COPY text format: null is \N, strings escaped, numbers and booleans as they print. */
export const copyLine = (values: readonly (string | number | boolean | null)[]): string =>
  values.map((value) => (value === null ? '\\N' : typeof value === 'string' ? copyText(value) : String(value))).join('\t') + '\n';

/**
 * COPY lines made as the stream asks for them: Node builds the next chunk while PostgreSQL inserts the last, instead
 * of building them all first.
 */
export function* copyLines<T>(items: Iterable<T>, values: (item: T, index: number) => readonly (string | number | boolean | null)[]): Generator<string> {
  let index = 0;
  for (const item of items) yield copyLine(values(item, index++));
}

/** Lines per chunk written to the COPY stream: big enough to amortise stream overhead, small enough to stream. */
const COPY_CHUNK = 500;

function* chunks(lines: Iterable<string>): Generator<string> {
  let chunk = '';
  let count = 0;
  for (const line of lines) {
    chunk += line;
    if (++count % COPY_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Streams lines (each ending in a newline) into `COPY ... FROM STDIN` on the client's open transaction. */
export async function copyInto(client: PoolClient, copySql: string, lines: Iterable<string>): Promise<void> {
  await pipeline(Readable.from(chunks(lines)), client.query(copyFrom(copySql)));
}
