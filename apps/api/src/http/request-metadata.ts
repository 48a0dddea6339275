import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { InvalidInput } from '../../../../libs/domain/src';
import type { EventMetadata } from '../../../../libs/event-store/src';

export const header = (req: Request, name: string): string | undefined => {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

const checkHeader = (name: string, value: string | undefined): string | undefined => {
  if (value !== undefined && (value.length === 0 || value.length > 128)) throw new InvalidInput(name, 'must be 1 to 128 characters');
  return value;
};

/** Who acts and on which request, from the interim X-Correlation-Id / X-Actor-* headers (until authentication lands). */
export const requestMetadata = (req: Request, source: 'api' | 'import'): Omit<EventMetadata, 'eventId' | 'schemaVersion'> => {
  const correlationId = checkHeader('X-Correlation-Id', header(req, 'x-correlation-id')) ?? randomUUID();
  return {
    correlationId,
    causationId: randomUUID(),
    actor: {
      id: checkHeader('X-Actor-Id', header(req, 'x-actor-id')) ?? 'anonymous',
      role: checkHeader('X-Actor-Role', header(req, 'x-actor-role')) ?? 'unknown',
    },
    source,
  };
};
