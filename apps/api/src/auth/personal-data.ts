import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Pool } from 'pg';
import { from, mergeMap, type Observable } from 'rxjs';
import { CUSTOMER_STREAM_PREFIX, ERASED, PERSONAL_PROFILE_FIELDS, personalFieldsOf } from '../../../../libs/domain/src';
import { SEES_PERSONAL_DATA, type Principal } from '../../../../libs/auth/src';
import { recordAccess } from '../../../../libs/audit/src';
import { correlationOf, endpointOf, type AuthenticatedRequest } from './access';

/** What an analyst sees in place of a personal value. */
export const MASKED = '[masked]';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
/**
 * Personal fields as read models and folded state name them: the profile, and the free texts (a touchpoint's or
 * complaint's note, a survey comment, a cancellation reason kept in state as cancellationReason).
 */
const PERSONAL_RESPONSE_FIELDS: readonly string[] = [...PERSONAL_PROFILE_FIELDS, 'description', 'note', 'resolution', 'comment', 'summary', 'cancellationReason'];

const present = (value: unknown): boolean => value !== undefined && value !== null && value !== ERASED;

/**
 * Finds whose personal data a response holds, masking it in place when `mask` is set. Personal data is recognised by
 * shape, not by endpoint, so a new endpoint cannot leak it unnoticed: an event ({type, data}) holds the fields
 * PERSONAL_EVENT_FIELDS lists for its type, and an object about a customer (its own customerId or streamId, or one
 * of an enclosing object) holds PERSONAL_RESPONSE_FIELDS. Objects about no customer (segment definitions, projection
 * status) are left alone.
 */
export function screenPersonalData(body: unknown, options: { mask: boolean }): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown, customerId: string | undefined): void => {
    if (Array.isArray(node)) return node.forEach((item) => visit(item, customerId));
    if (!isObject(node)) return;
    const own = typeof node.customerId === 'string' ? node.customerId : undefined;
    const stream = typeof node.streamId === 'string' && node.streamId.startsWith(CUSTOMER_STREAM_PREFIX) ? node.streamId.slice(CUSTOMER_STREAM_PREFIX.length) : undefined;
    const scope = own ?? stream ?? customerId;
    const screen = (holder: Json, fields: readonly string[]): void => {
      for (const field of fields) {
        if (!present(holder[field]) || scope === undefined) continue;
        found.add(scope);
        if (options.mask) holder[field] = MASKED;
      }
    };
    if (typeof node.type === 'string' && isObject(node.data)) screen(node.data, personalFieldsOf(node.type));
    screen(node, PERSONAL_RESPONSE_FIELDS);
    for (const [key, child] of Object.entries(node)) if (key !== 'data' || typeof node.type !== 'string') visit(child, scope);
  };
  visit(body, undefined);
  return found;
}

const logger = new Logger('AccessLog');

/**
 * Screens a response for `principal`: masks personal data for roles that must not see it, and records one
 * access-log row per customer whose personal data a role that may see it is about to receive. The row is written
 * before the response leaves: a read that cannot be logged is not answered.
 */
export async function screenResponse(pool: Pool, req: Request, principal: Principal, body: unknown): Promise<void> {
  const mask = !SEES_PERSONAL_DATA.includes(principal.role);
  const customers = screenPersonalData(body, { mask });
  if (mask || customers.size === 0) return;
  const endpoint = endpointOf(req);
  const correlationId = correlationOf(req);
  await recordAccess(
    pool,
    [...customers].map((id) => ({ actorId: principal.id, actorRole: principal.role, endpoint, customerId: id, outcome: 'read' as const, status: 200, correlationId })),
  ).catch((error: unknown) => {
    logger.error(`could not record a read of personal data: ${(error as Error).message}`);
    throw error;
  });
}

/** Applies screenResponse to every JSON answer a handler returns (streamed answers call it themselves). */
@Injectable()
export class PersonalDataInterceptor implements NestInterceptor {
  constructor(private readonly pool: Pool) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    return next.handle().pipe(
      mergeMap((body: unknown) => {
        const principal = req.principal;
        if (!principal || body === undefined) return from([body]);
        return from(screenResponse(this.pool, req, principal, body).then(() => body));
      }),
    );
  }
}
