import jwt from 'jsonwebtoken';
import { isRole, ROLES, type Principal } from './roles';

/** Bearer tokens from one configured issuer (optional; API keys work without it). */
export interface JwtConfig {
  issuer: string;
  audience: string;
  /** HS256 shared secret, or a PEM public key for RS256/ES256. */
  secret?: string;
  publicKey?: string;
  /** The claim that holds the role (default `role`). */
  roleClaim: string;
}

export class TokenRejected extends Error {}

/**
 * Checks signature (only the algorithms the configured key allows: no `none`, no HS/RS confusion), expiry,
 * not-before, issuer and audience, then maps `sub` to the actor and the role claim to a role.
 */
export function verifyJwt(token: string, config: JwtConfig): Principal {
  const key = config.secret ?? config.publicKey;
  if (!key) throw new TokenRejected('bearer tokens are not accepted here (no JWT issuer is configured)');
  let claims: jwt.JwtPayload;
  try {
    const decoded = jwt.verify(token, key, {
      algorithms: config.secret ? ['HS256'] : ['RS256', 'ES256'],
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: 5,
    });
    if (typeof decoded === 'string') throw new TokenRejected('token payload is not a JSON object');
    claims = decoded;
  } catch (error) {
    if (error instanceof TokenRejected) throw error;
    // jsonwebtoken's messages ("jwt expired", "jwt audience invalid. expected: …") say what failed without echoing secrets.
    throw new TokenRejected(`bearer token rejected: ${(error as Error).message}`);
  }
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 128) throw new TokenRejected('bearer token rejected: sub must be 1 to 128 characters');
  const role: unknown = claims[config.roleClaim];
  if (!isRole(role)) throw new TokenRejected(`bearer token rejected: claim ${config.roleClaim} must be one of ${ROLES.join(', ')}`);
  return { id: subject, role, via: { kind: 'jwt', issuer: config.issuer } };
}
