import { ArgumentsHost, BadRequestException, Catch, HttpException, Logger, type ExceptionFilter, type ValidationError } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DomainError, type InvalidInput } from '../../../../libs/domain/src';
import { DuplicateEventId, IdempotencyKeyReused, QueueRefused, UnknownEventSchema, UnstorableEvent, WrongExpectedVersion } from '../../../../libs/event-store/src';
import { MissingExchangeRate } from '../../../../libs/segments/src';
import { BadCursor } from '../../../../libs/projection-engine/src';
import { NotIdentifiable } from '../../../../libs/clv/src';
import { NoChurnModel } from '../../../../projections/churn/churn-model';
import { FactsNotReady } from '../../../../libs/projection-engine/src';
import { DatabaseUnavailable, isConnectionFault, type DatabaseAvailability } from '../../../../libs/postgres/src';
import { Overloaded } from './overload';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  field?: string;
  rule?: string;
  errors?: { field: string; rule: string }[];
  /** When to try again, also sent as the Retry-After header. */
  retryAfterSeconds?: number;
  [extra: string]: unknown;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const body = (statusCode: number, message: string, extra: Partial<ErrorBody> = {}): ErrorBody => ({
  statusCode,
  error: REASONS[statusCode] ?? 'Error',
  message,
  ...extra,
});

const logger = new Logger('HTTP');

/** One mapping from anything thrown to the answer a caller gets: a 4xx that names the field or rule, never a stack trace. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof DatabaseUnavailable) {
    return body(503, `${error.message}; nothing was written, send it again later`, { rule: 'database.available', database: error.status, retryAfterSeconds: 2 });
  }
  if (isConnectionFault(error)) {
    // Lost mid-request: a command may or may not have been written before the connection went.
    const lastError = (error as Error).message || String((error as { code?: string }).code);
    return body(503, `the database connection was lost (${lastError}); send it again later`, {
      rule: 'database.available',
      database: { state: 'database-unavailable', lastError },
      retryAfterSeconds: 2,
    });
  }
  if (error instanceof DomainError) {
    switch (error.kind) {
      case 'invalid_input': {
        const { field, rule, errors } = error as InvalidInput;
        return body(400, error.message, { field, rule, ...(errors && { errors: [...errors] }) });
      }
      case 'not_found':
        return body(404, error.message);
      case 'rule_violated':
        return body(409, error.message, { rule: (error as { rule?: string }).rule });
      case 'unprocessable':
        return body(422, error.message, { rule: (error as { rule?: string }).rule });
    }
  }
  if (error instanceof WrongExpectedVersion) {
    return body(409, `version conflict: ${error.message}`, { rule: 'version.expected', expectedVersion: error.expected, actualVersion: error.actual });
  }
  if (error instanceof DuplicateEventId) return body(409, error.message, { rule: 'event.id-unique' });
  if (error instanceof IdempotencyKeyReused) return body(422, error.message, { field: 'Idempotency-Key', rule: 'idempotency-key.reused' });
  if (error instanceof QueueRefused) {
    // The stream's queue drains in milliseconds a command; a second later there is room again unless the load goes on.
    const [rule, limit] = error.reason === 'full' ? ['command-queue.bounded', { maxWaiting: error.limits.maxWaiting }] : ['command-queue.wait-limited', { timeoutMs: error.limits.timeoutMs }];
    return body(503, `${error.message}; nothing was written, send it again`, { rule, ...limit, retryAfterSeconds: 1 });
  }
  if (error instanceof Overloaded) {
    // Commands take milliseconds each: a second later some of the ones in flight have answered.
    return body(503, `${error.message}; nothing was written, send it again`, { rule: 'engine.overloaded', maxInFlight: error.maxInFlight, retryAfterSeconds: 1 });
  }
  if (error instanceof UnknownEventSchema) {
    // Not the caller's fault, but the operator must see which stored event this build cannot read.
    logger.error(error.message);
    return body(500, error.message, { rule: 'event.schema-known' });
  }
  if (error instanceof MissingExchangeRate) {
    // Bookings in the log (from before the rate was removed, or before bookings were checked) meet the config: a
    // known conflict between data and configuration that the operator resolves, not a fault of the server.
    return body(
      409,
      `cannot evaluate segments: ${error.message}; add currency.rates.${error.currency} to the file SEGMENTS_CONFIG names, change its version and restart. Nothing was recorded`,
      { rule: 'segments.rate-configured', currency: error.currency },
    );
  }
  if (error instanceof NotIdentifiable) return body(422, `cannot fit the churn model: ${error.message}; the current fit, if any, stays`, { rule: 'churn-model.identifiable' });
  if (error instanceof NoChurnModel) return body(404, error.message, { rule: 'churn-model.fitted' });
  if (error instanceof FactsNotReady) {
    // A read model stopped at an event (the operator retries or skips it) or being rebuilt: the work waits for it.
    return body(409, `${error.message}. Nothing was recorded`, { rule: 'read-model.ready' });
  }
  if (error instanceof BadCursor) return body(400, error.message, { field: 'cursor', rule: 'must be the nextCursor of a previous page' });
  if (error instanceof UnstorableEvent) return body(400, error.message, { field: 'body', rule: 'must be text the database can store' });
  if (error instanceof HttpException) {
    const response = error.getResponse();
    if (typeof response === 'object' && response && ('field' in response || 'rule' in response)) {
      return { ...body(error.getStatus(), error.message), ...(response as Partial<ErrorBody>) } as ErrorBody;
    }
    return body(error.getStatus(), typeof response === 'string' ? response : error.message);
  }
  const status = (error as { status?: number; type?: string; limit?: number }) ?? {};
  if (status.type === 'entity.too.large') return body(413, `request body exceeds the limit of ${status.limit} bytes`, { field: 'body', rule: 'size limit' });
  if (status.type === 'entity.parse.failed') return body(400, 'request body is not valid JSON', { field: 'body', rule: 'must be valid JSON' });
  if (typeof status.status === 'number' && status.status >= 400 && status.status < 500) return body(status.status, String((error as Error).message));
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return body(500, 'internal error');
}

const send = (res: Response, error: unknown): void => {
  const answer = toErrorBody(error);
  if (answer.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(answer.retryAfterSeconds));
  res.status(answer.statusCode).json(answer);
};

@Catch()
export class ErrorsFilter implements ExceptionFilter {
  /** Told of every error, so a lost connection met by a request marks the database down for the next ones. */
  constructor(private readonly availability?: DatabaseAvailability) {}

  catch(error: unknown, host: ArgumentsHost): void {
    this.availability?.failed(error);
    send(host.switchToHttp().getResponse<Response>(), error);
  }
}

/**
 * While the database is known to be down every request but the API docs answers 503 at once, instead of waiting
 * on a connection that cannot come: /health included, which then names the database and since when.
 */
export const failFastWhileDown =
  (availability: DatabaseAvailability) =>
  (req: Request, res: Response, next: NextFunction): void => {
    const down = availability.unavailable();
    if (down && !req.path.startsWith('/docs')) return send(res, down);
    next();
  };

/** For errors raised by Express middleware (body parsing) before Nest routes the request. */
export const expressErrorHandler = (error: unknown, _req: Request, res: Response, _next: NextFunction): void => send(res, error);

const flatten = (errors: ValidationError[], prefix = ''): { field: string; rule: string }[] =>
  errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    // class-validator lists a property's failed checks in reverse order of its decorators; the first
    // decorator is the type or presence check, the one to name first.
    const own = Object.values(error.constraints ?? {})
      .reverse()
      .map((message) => ({ field, rule: message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });

/** class-validator failures as a 400 that lists every field with its rule. */
export const validationException = (errors: ValidationError[]): BadRequestException => {
  const list = flatten(errors);
  const first = list[0] ?? { field: 'body', rule: 'is invalid' };
  return new BadRequestException(body(400, list.map((e) => e.rule).join('; '), { field: first.field, rule: first.rule, errors: list }));
};

/** 415 for a body that is not JSON; requests without a body (e.g. a bare POST .../departure) pass. */
export const requireJson = (req: Request, res: Response, next: NextFunction): void => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  // POST /imports streams application/x-ndjson and checks its own content type.
  const streamed = req.method === 'POST' && req.path === '/imports';
  if (hasBody && !streamed && ['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is('application/json')) {
    const answer = body(415, `content type must be application/json, got ${req.headers['content-type'] ?? 'none'}`, {
      field: 'Content-Type',
      rule: 'must be application/json',
    });
    res.status(415).json(answer);
    return;
  }
  next();
};

/** How deep a JSON body may nest: the shapes here need 3 levels; class-transformer recurses without bound. */
const MAX_DEPTH = 32;

export const tooDeep = (value: unknown): boolean => {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= MAX_DEPTH) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
};

/** 400 for a body nested deeper than MAX_DEPTH, before validation would overflow the stack on it. */
export const limitDepth = (req: Request, res: Response, next: NextFunction): void => {
  if (tooDeep(req.body)) {
    res.status(400).json(body(400, `request body nests deeper than ${MAX_DEPTH} levels`, { field: 'body', rule: `must nest at most ${MAX_DEPTH} levels` }));
    return;
  }
  next();
};
