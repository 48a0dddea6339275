import { json, type NextFunction, type Request, type Response } from 'express';
import { InvalidInput } from '../../../../libs/domain/src';

// fatal: a byte sequence that is not UTF-8 throws, where the parser would have turned it into U+FFFD and stored that.
const utf8 = new TextDecoder('utf-8', { fatal: true });

const refuseUnlessUtf8 = (_req: Request, _res: Response, bytes: Buffer): void => {
  try {
    utf8.decode(bytes);
  } catch {
    throw new InvalidInput('body', 'must be UTF-8', 'request body is not valid UTF-8 (RFC 8259 section 8.1)');
  }
};

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * JSON request bodies, read exactly as sent: UTF-8 only, and an object (every command body is one), so an array or a
 * bare value is named for what it is instead of failing the first field's rule. Not strict, so that a bare value also
 * gets that answer rather than "not valid JSON". A `__proto__` key stays an own key of the parsed object (JSON.parse
 * does not assign it to the prototype), and the command shape refuses it by name like any unknown key.
 */
export const jsonBody = (limitBytes: number) => [
  json({ limit: limitBytes, strict: false, verify: refuseUnlessUtf8 }),
  (req: Request, _res: Response, next: NextFunction): void => {
    if (req.body !== undefined && !isObject(req.body)) next(new InvalidInput('body', 'must be a JSON object', 'body must be a JSON object'));
    else next();
  },
];
