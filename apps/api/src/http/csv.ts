import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';

export const csvField = (value: string | number | null): string => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/**
 * Streams every page of a keyset-paged query as CSV. The first page is read before the status is sent, so a bad
 * request still gets its 4xx; later pages follow `nextCursor`, waiting for the client to drain what it was sent.
 */
export async function streamCsv<Item>(
  res: Response,
  file: { name: string; header: readonly string[] },
  page: (cursor?: string) => Promise<{ items: Item[]; nextCursor: string | null }>,
  fields: (item: Item) => (string | number | null)[],
): Promise<void> {
  let current = await page();
  res.status(200).type('text/csv').attachment(file.name);
  res.write(`${file.header.join(',')}\n`);
  try {
    for (;;) {
      const lines = current.items.map((item) => fields(item).map(csvField).join(',') + '\n').join('');
      if (!res.write(lines)) await new Promise((resolve) => res.once('drain', resolve));
      if (!current.nextCursor) break;
      current = await page(current.nextCursor);
    }
    res.end();
  } catch (error) {
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * OpenAPI for a route that answers a JSON page, or with Accept: text/csv every row as CSV (streamCsv): one 200 with
 * both media types, the CSV's columns named. A route whose JSON is not a page says what its CSV holds instead.
 */
export const ApiPageOrCsvResponse = (page: new () => object, header: readonly string[], description = 'A page as JSON; with Accept: text/csv every row, all pages, as one CSV file.'): MethodDecorator =>
  applyDecorators(
    ApiExtraModels(page),
    ApiOkResponse({
      description,
      content: {
        'application/json': { schema: { $ref: getSchemaPath(page) } },
        'text/csv': { schema: { type: 'string', description: `Columns: ${header.join(', ')}.` }, example: `${header.join(',')}\n` },
      },
    }),
  );
