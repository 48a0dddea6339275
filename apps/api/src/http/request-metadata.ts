import { createHash, randomUUID } from 'node:crypto';
import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { InvalidInput } from '../../../../libs/domain/src';
import { canonicalJson, derivedId, type EventMetadata, type Idempotency } from '../../../../libs/event-store/src';
import { principalOf } from '../auth/access';
import { ErrorResponse } from './error.responses';

export const header = (req: Request, name: string): string | undefined => {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

const checkHeader = (name: string, value: string | undefined): string | undefined => {
  if (value !== undefined && (value.length === 0 || value.length > 128)) throw new InvalidInput(name, 'must be 1 to 128 characters');
  return value;
};

/** Room for a UUID, a ULID or a client's own "<job>/<record>/<attempt>"; no spaces, so a repeated header (joined with ", ") is refused. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
export const IDEMPOTENCY_KEY_RULE = 'must be 1 to 200 visible ASCII characters (! to ~, no spaces)';

const idempotencyKeyOf = (req: Request): string | undefined => {
  const key = header(req, 'idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new InvalidInput('Idempotency-Key', IDEMPOTENCY_KEY_RULE);
  return key;
};

/** The key and what it was sent with (method, path and body): the same key with anything else is another request. */
const idempotencyOf = (req: Request): Idempotency | undefined => {
  const key = idempotencyKeyOf(req);
  if (key === undefined) return undefined;
  const requestHash = createHash('sha256')
    .update(canonicalJson([req.method, req.originalUrl, req.body ?? null]))
    .digest('hex');
  return { key, requestHash };
};

/** An id the server picks for the caller (a new customer's): derived from the caller's key when there is one, so a retry picks the same. */
export const newIdFor = (req: Request, name: string): string => {
  const key = idempotencyKeyOf(req);
  return key === undefined ? randomUUID() : derivedId(name, principalOf(req).id, key);
};

/** Who acts (the authenticated principal, never a header the caller could forge) and on which request (X-Correlation-Id). */
export const requestMetadata = (req: Request, source: 'api' | 'import'): Omit<EventMetadata, 'eventId' | 'schemaVersion'> => {
  const { id, role } = principalOf(req);
  // An import's lines are its idempotency keys (importer.ts): the header is for single commands.
  const idempotency = source === 'api' ? idempotencyOf(req) : undefined;
  return {
    correlationId: checkHeader('X-Correlation-Id', header(req, 'x-correlation-id')) ?? randomUUID(),
    causationId: randomUUID(),
    actor: { id, role },
    source,
    ...(idempotency && { idempotency }),
  };
};

/** OpenAPI for every command that writes events (docs/operations.md, "The idempotency contract"). */
export const IdempotentCommand = (): MethodDecorator =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        `Optional; ${IDEMPOTENCY_KEY_RULE}, scoped to the caller (API key or token subject). Sent again with the same method, path and body, ` +
        'the command is not run again: the answer is the first one (status, version, position) and nothing is written. The same key ' +
        'with another request answers 422 (rule idempotency-key.reused). Kept as long as the events it wrote. Clients that retry must send one.',
    }),
    ApiUnprocessableEntityResponse({
      type: ErrorResponse,
      description: 'The Idempotency-Key was sent before with another request (rule idempotency-key.reused); for a booking or an amendment also an amount in a currency without a configured rate (booking.currency-without-rate).',
    }),
  );
