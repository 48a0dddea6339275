/** A page cursor that is not the nextCursor of a previous page: a 400 naming the field. */
export class BadCursor extends Error {}

/** Keyset paging over (sort value, customer id): the cursor is the last row's pair, base64url JSON. */
export const encodeCursor = (value: string | number, customerId: string): string => Buffer.from(JSON.stringify([value, customerId])).toString('base64url');

export const decodeCursor = (cursor: string): [string | number, string] => {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[1] === 'string' && ['string', 'number'].includes(typeof value[0])) return value as [string | number, string];
  } catch {
    // falls through to the error below
  }
  throw new BadCursor('cursor: must be the nextCursor of a previous page');
};
