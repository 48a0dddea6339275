import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { InvalidInput } from '../../../../libs/domain/src';
import type { EventMetadata } from '../../../../libs/event-store/src';
import { principalOf } from '../auth/access';

export const header = (req: Request, name: string): string | undefined => {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

const checkHeader = (name: string, value: string | undefined): string | undefined => {
  if (value !== undefined && (value.length === 0 || value.length > 128)) throw new InvalidInput(name, 'must be 1 to 128 characters');
  return value;
};

/** Who acts (the authenticated principal, never a header the caller could forge) and on which request (X-Correlation-Id). */
export const requestMetadata = (req: Request, source: 'api' | 'import'): Omit<EventMetadata, 'eventId' | 'schemaVersion'> => {
  const { id, role } = principalOf(req);
  return {
    correlationId: checkHeader('X-Correlation-Id', header(req, 'x-correlation-id')) ?? randomUUID(),
    causationId: randomUUID(),
    actor: { id, role },
    source,
  };
};
