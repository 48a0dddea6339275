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
import {
  ApiKeyCache,
  cookieValue,
  CSRF_HEADER,
  findSession,
  looksLikeApiKey,
  SESSION_COOKIE,
  TokenRejected,
  verifyJwt,
  type JwtConfig,
  type Principal,
  type Role,
  type Session,
} from '../../../../libs/auth/src';
import { recordAccess, type AccessOutcome } from '../../../../libs/audit/src';

/** The request after `authenticate`: a principal (and its console session, when a cookie brought it), or why the credentials were refused. */
export type AuthenticatedRequest = Request & { principal?: Principal; session?: Session; credentialProblem?: string };

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

/** The principal of an API key or a bearer token; rejects with TokenRejected saying why it is refused. */
export const credentialPrincipal = (token: string, keys: ApiKeyCache, jwt: JwtConfig | undefined): Promise<Principal> =>
  looksLikeApiKey(token)
    ? keys.authenticate(token).then((found) => found ?? Promise.reject(new TokenRejected('API key unknown or revoked')))
    : Promise.resolve().then(() => (jwt ? verifyJwt(token, jwt) : Promise.reject(new TokenRejected('not an API key of this engine (they start with tlk_)'))));

/**
 * Reads `Authorization: Bearer <API key or JWT>`, or else the console's session cookie, into a principal. It answers
 * nothing itself: public routes ignore credentials, and the guard turns a missing or refused one into 401 once it
 * knows the route (and a session's write without its CSRF token into 403).
 */
export const authenticate =
  (keys: ApiKeyCache, jwt: JwtConfig | undefined, pool: Pool) =>
  (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    const request = req as AuthenticatedRequest;
    if (header === undefined) {
      const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
      if (token === undefined) return next();
      findSession(pool, token).then((session) => {
        if (!session) request.credentialProblem = 'the console session has ended (signed out, expired, or its API key revoked): sign in again';
        else Object.assign(request, { principal: session.principal, session });
        next();
      }, next);
      return;
    }
    const match = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header);
    if (!match) {
      request.credentialProblem = 'Authorization must be "Bearer <API key or token>"';
      return next();
    }
    credentialPrincipal(match[1], keys, jwt).then(
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

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * 401 without valid credentials, 403 for a role the route does not take or a console write without its CSRF token;
 * all logged. Fails closed on a route without @Access.
 */
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
    // A write with the console's cookie must carry the CSRF token the sign-in gave the page: a forged form cannot.
    if (req.session && !SAFE_METHODS.has(req.method) && !req.session.csrfMatches(headerValue(req.headers[CSRF_HEADER]))) {
      const reason = `a write with a console session needs its CSRF token in the ${CSRF_HEADER} header`;
      await recordDenial(this.pool, req, 'forbidden', 403, reason);
      throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: reason, field: CSRF_HEADER, rule: 'auth.csrf' });
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
