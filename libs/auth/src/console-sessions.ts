import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import type { Migration } from '../../postgres/src';
import type { Principal, Role } from './roles';

/*
 * Console sign-in (issue 17): an API key or a bearer token is exchanged once for a short-lived session, carried by an
 * HttpOnly, SameSite=Strict cookie, so no key stays where page scripts could read it. Every write made with the
 * session also carries its CSRF token (a header the page's own script sets). Only hashes of both are stored. A
 * session of a key ends the moment the key is revoked (each request reads the key's row), and at sign-out.
 */

/** Migration 5 of the auth component (api-keys.ts lists it). */
export const CONSOLE_SESSION_MIGRATION: Migration = {
  version: 5,
  name: 'console sessions',
  sql: `
CREATE TABLE auth.console_sessions (
  token_hash  bytea PRIMARY KEY,
  csrf_hash   bytea NOT NULL,
  key_id      uuid REFERENCES auth.api_keys (id) ON DELETE CASCADE,
  principal   jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  ended_at    timestamptz
);
CREATE INDEX console_sessions_expiry ON auth.console_sessions (expires_at);
COMMENT ON TABLE auth.console_sessions IS 'Console sessions: SHA-256 of the cookie token and of the CSRF token; key_id for a session opened with an API key (it ends when the key is revoked), principal as signed in.';`,
};

/** The cookie that carries the session token. */
export const SESSION_COOKIE = 'tle_session';
/** The header every write made with a session must carry its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

const hashOf = (token: string): Buffer => createHash('sha256').update(token).digest();
const newToken = (): string => randomBytes(32).toString('base64url');
/** Tokens this module hands out: 43 base64url characters. Anything else needs no lookup. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface OpenedSession {
  /** For the cookie only: never in a response body. */
  token: string;
  csrfToken: string;
  expiresAt: string;
}

export interface Session {
  principal: Principal;
  expiresAt: string;
  /** True when `csrfToken` is this session's. */
  csrfMatches(csrfToken: string | undefined): boolean;
}

/** Opens a session for a principal that has just proved itself; sessions long expired are cleared on the way. */
export async function openSession(pool: Pool, principal: Principal, ttlMs: number): Promise<OpenedSession> {
  const token = newToken();
  const csrfToken = newToken();
  const keyId = principal.via.kind === 'api-key' ? principal.via.keyId : null;
  const { rows } = await pool.query<{ expires_at: Date }>(
    `WITH cleared AS (DELETE FROM auth.console_sessions WHERE expires_at < now() - interval '1 day')
     INSERT INTO auth.console_sessions (token_hash, csrf_hash, key_id, principal, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::double precision / 1000)) RETURNING expires_at`,
    [hashOf(token), hashOf(csrfToken), keyId, principal, ttlMs],
  );
  return { token, csrfToken, expiresAt: rows[0].expires_at.toISOString() };
}

/**
 * The session of a cookie token: null when unknown, ended, expired, or opened with a key since revoked. A key's
 * session acts with the key's name, role and rate limit as they are now.
 */
export async function findSession(pool: Pool, token: string): Promise<Session | null> {
  if (!TOKEN.test(token)) return null;
  const { rows } = await pool.query<{ principal: Principal; csrf_hash: Buffer; expires_at: Date; key_id: string | null; name: string | null; role: Role | null; rate_limit: number | null }>(
    `SELECT s.principal, s.csrf_hash, s.expires_at, s.key_id, k.name, k.role, k.rate_limit_per_minute AS rate_limit
       FROM auth.console_sessions s LEFT JOIN auth.api_keys k ON k.id = s.key_id
      WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND (s.key_id IS NULL OR k.revoked_at IS NULL)`,
    [hashOf(token)],
  );
  const row = rows[0];
  if (!row) return null;
  const principal: Principal =
    row.key_id && row.name && row.role ? { id: row.name, role: row.role, via: { kind: 'api-key', keyId: row.key_id, rateLimitPerMinute: row.rate_limit! } } : row.principal;
  return {
    principal,
    expiresAt: row.expires_at.toISOString(),
    csrfMatches: (csrfToken) => csrfToken !== undefined && TOKEN.test(csrfToken) && timingSafeEqual(hashOf(csrfToken), row.csrf_hash),
  };
}

/** Sign-out: the session ends at once, in every engine process. */
export async function endSession(pool: Pool, token: string): Promise<void> {
  if (TOKEN.test(token)) await pool.query('UPDATE auth.console_sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS NULL', [hashOf(token)]);
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
