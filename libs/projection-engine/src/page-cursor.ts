import { isIsoInstant } from '../../domain/src';

/** A page cursor that is not the nextCursor of a previous page: a 400 naming the field. */
export class BadCursor extends Error {}

/** Keyset paging over (sort value, customer id): the cursor is the last row's pair, base64url JSON. */
export const encodeCursor = (value: string | number, customerId: string): string => Buffer.from(JSON.stringify([value, customerId])).toString('base64url');

/** What the sort value of a page must be: a tampered cursor is a 400, never a failed SQL cast (500). */
export type CursorValue = 'string' | 'number' | 'instant';
const fits = (value: unknown, kind: CursorValue): boolean =>
  kind === 'number' ? typeof value === 'number' && Number.isFinite(value) : typeof value === 'string' && (kind === 'string' || isIsoInstant(value));

export const decodeCursor = (cursor: string, kind: CursorValue): [string | number, string] => {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[1] === 'string' && fits(value[0], kind)) return value as [string | number, string];
  } catch {
    // falls through to the error below
  }
  throw new BadCursor('cursor: must be the nextCursor of a previous page');
};
