import {
  ForbiddenException,
  HttpException,
  Injectable,
  Logger,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import type { Pool } from 'pg';
import { ApiKeyCache, looksLikeApiKey, TokenRejected, verifyJwt, type JwtConfig, type Principal, type Role } from '../../../../libs/auth/src';
import { recordAccess, type AccessOutcome } from '../../../../libs/audit/src';

/** The request after `authenticate`: a principal, or why the credentials were refused. */
export type AuthenticatedRequest = Request & { principal?: Principal; credentialProblem?: string };

const ACCESS_KEY = 'access:roles';

/** The roles that may call this route (ACCESS in libs/auth names the sets). A route without it is closed to everyone. */
export const Access = (roles: readonly Role[]): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY, roles);
/** Open without credentials: only liveness. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY, 'public');

export const principalOf = (req: Request): Principal => {
  const principal = (req as AuthenticatedRequest).principal;
  // The guard lets no request reach a handler without one; reaching here without it is a routing bug.
  if (!principal) throw new UnauthorizedException('authentication required');
  return principal;
};

/** `GET /customers/:id`: the route's pattern, so log rows group by endpoint, not by customer. */
export const endpointOf = (req: Request): string => `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? req.path}`;

const logger = new Logger('Access');

/** Every denial goes to the operator's log and to audit.access_log, where auditors read them. */
export async function recordDenial(pool: Pool, req: Request, outcome: Exclude<AccessOutcome, 'read'>, status: number, reason: string): Promise<void> {
  const principal = (req as AuthenticatedRequest).principal;
  const endpoint = endpointOf(req);
  logger.warn(`${status} ${outcome}: ${endpoint} by ${principal ? `${principal.id} (${principal.role})` : `an unauthenticated caller from ${req.ip}`}: ${reason}`);
  await recordAccess(pool, [
    { actorId: principal?.id ?? null, actorRole: principal?.role ?? null, endpoint, customerId: null, outcome, status, correlationId: correlationOf(req)},
  ]).catch((error: unknown) => logger.error(`could not record a denial: ${(error as Error).message}`));
}

export const correlationOf = (req: Request): string | null => {
  const value = req.headers['x-correlation-id'];
  const id = Array.isArray(value) ? value[0] : value;
  return id && id.length <= 128 ? id : null;
};

/**
 * Reads `Authorization: Bearer <API key or JWT>` into a principal. It answers nothing itself: public routes ignore
 * credentials, and the guard turns a missing or refused one into 401 once it knows the route.
 */
export const authenticate =
  (keys: ApiKeyCache, jwt: JwtConfig | undefined) =>
  (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    if (header === undefined) return next();
    const request = req as AuthenticatedRequest;
    const match = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header);
    if (!match) {
      request.credentialProblem = 'Authorization must be "Bearer <API key or token>"';
      return next();
    }
    const token = match[1];
    const principal = looksLikeApiKey(token)
      ? keys.authenticate(token).then((found) => found ?? Promise.reject(new TokenRejected('API key unknown or revoked')))
      : Promise.resolve().then(() => (jwt ? verifyJwt(token, jwt) : Promise.reject(new TokenRejected('not an API key of this engine (they start with tlk_)'))));
    principal.then(
      (found) => {
        request.principal = found;
        next();
      },
      (error: unknown) => {
        if (!(error instanceof TokenRejected)) return next(error);
        request.credentialProblem = error.message;
        next();
      },
    );
  };

/** Ends the API-key cache's LISTEN connection with the app, before the runtime ends the pool and the database. */
@Injectable()
export class ApiKeyCacheShutdown implements OnApplicationShutdown {
  constructor(private readonly keys: ApiKeyCache) {}

  onApplicationShutdown(): Promise<void> {
    return this.keys.close();
  }
}

/** 401 without valid credentials, 403 for a role the route does not take; both logged. Fails closed on a route without @Access. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly pool: Pool,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const roles = this.reflector.getAllAndOverride<readonly Role[] | 'public' | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (roles === 'public') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    if (!req.principal) {
      const reason = req.credentialProblem ?? 'no credentials: send Authorization: Bearer <API key>';
      await recordDenial(this.pool, req, 'unauthenticated', 401, reason);
      res.setHeader('WWW-Authenticate', 'Bearer realm="lifecycle-engine"');
      throw new HttpException({ statusCode: 401, error: 'Unauthorized', message: reason, rule: 'auth.credentials' }, 401);
    }
    if (!roles?.includes(req.principal.role)) {
      const needed = roles?.length ? `needs the role ${roles.join(' or ')}` : 'is not open to any role';
      const reason = `${endpointOf(req)} ${needed}; ${req.principal.id} has ${req.principal.role}`;
      await recordDenial(this.pool, req, 'forbidden', 403, reason);
      throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: reason, rule: 'auth.role' });
    }
    return true;
  }
}
