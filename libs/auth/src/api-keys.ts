import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { migrate, routineFiles, type Migration } from '../../postgres/src';
import { CONSOLE_SESSION_MIGRATION } from './console-sessions';
import { isRole, ROLES, type Principal, type Role } from './roles';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'API keys, stored as hashes',
    sql: `
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE auth.api_keys (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  role        text NOT NULL CHECK (role IN (${ROLES.map((role) => `'${role}'`).join(', ')})),
  key_hash    bytea NOT NULL UNIQUE,
  key_prefix  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE UNIQUE INDEX api_keys_active_name ON auth.api_keys (name) WHERE revoked_at IS NULL;
COMMENT ON TABLE auth.api_keys IS 'API keys: only the SHA-256 of each key is kept; the key itself is shown once, at creation.';`,
  },
  {
    version: 2,
    name: 'API key changes notify every engine process',
    sql: `COMMENT ON TABLE auth.api_keys IS 'API keys: only the SHA-256 of each key is kept; the key itself is shown once, at creation. Every update or delete notifies auth_api_keys_changed, so engine processes drop the key from their caches.';`,
    // On UPDATE and DELETE, not only through revokeApiKey: a revocation made with plain SQL reaches the caches too.
    afterRoutines: `
CREATE TRIGGER api_keys_changed AFTER UPDATE OR DELETE ON auth.api_keys
  FOR EACH ROW EXECUTE FUNCTION auth.notify_api_key_changed();`,
  },
  {
    version: 3,
    name: 'a rate limit per API key',
    // Keys made before this get the default that createApiKey gives (API_KEY_RATE_LIMIT.default); bounds as there.
    sql: `
ALTER TABLE auth.api_keys ADD COLUMN rate_limit_per_minute integer NOT NULL DEFAULT 60000
  CONSTRAINT api_keys_rate_limit_per_minute CHECK (rate_limit_per_minute BETWEEN 1 AND 1000000);
COMMENT ON COLUMN auth.api_keys.rate_limit_per_minute IS 'Requests a minute this key may send to each engine process; more answer 429.';`,
  },
  {
    version: 4,
    name: 'rate limits counted across engine processes',
    sql: `
CREATE TABLE auth.rate_limit_hits (
  key          text NOT NULL,
  window_start bigint NOT NULL,
  hits         bigint NOT NULL,
  PRIMARY KEY (key, window_start)
);
COMMENT ON TABLE auth.rate_limit_hits IS 'Requests per rate-limit key (API key, token subject, address) and minute, added up by every API process about once a second.';
COMMENT ON COLUMN auth.api_keys.rate_limit_per_minute IS 'Requests a minute this key may send to all engine processes together; more answer 429.';`,
  },
  CONSOLE_SESSION_MIGRATION,
];

/** The channel api-keys-changed.sql notifies on, with the changed key's id. */
export const API_KEYS_CHANNEL = 'auth_api_keys_changed';

export const migrateApiKeys = (pool: Pool): Promise<number[]> => migrate(pool, 'auth', MIGRATIONS, routineFiles(__dirname, 'api-keys-changed.sql'));

/** `tlk_` marks our keys (a secret scanner can find them) and tells them apart from JWTs. */
const KEY_PREFIX = 'tlk_';
export const looksLikeApiKey = (token: string): boolean => token.startsWith(KEY_PREFIX);

/**
 * 256 random bits: a plain SHA-256 is enough to store them (a slow password hash guards low-entropy secrets that
 * can be guessed; these cannot), and it lets a request find its key with one indexed lookup.
 */
const hashOf = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * Requests a minute per key and engine process. The default, 1,000 a second, is four times what one engine process
 * answered in commands at 32 clients (251/s, issue 14), so a back-office sync is held back by the engine, not by
 * 429s; a runaway loop of cheap reads is still cut off. The keys CLI sets another at creation (--rate-limit).
 */
export const API_KEY_RATE_LIMIT = { default: 60_000, min: 1, max: 1_000_000 } as const;

export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  rateLimitPerMinute: number;
  /** The first characters of the key, to tell keys apart in lists; never enough to use. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export class ApiKeyError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const COLUMNS = `id, name, role, rate_limit_per_minute AS "rateLimitPerMinute", key_prefix AS prefix,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
  to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "revokedAt"`;

/** A rate limit as given (a number, or the CLI's text), checked: a whole number of requests a minute within the bounds. */
export function checkRateLimit(value: number | string): number {
  const { min, max } = API_KEY_RATE_LIMIT;
  const limit = typeof value === 'number' ? value : /^[0-9]{1,7}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(limit) || limit < min || limit > max) {
    throw new ApiKeyError('rate-limit', `must be a whole number of requests a minute from ${min} to ${max} (digits only), got ${JSON.stringify(value)}`);
  }
  return limit;
}

/** A new key: the only time the key itself exists outside the caller's hands is in this return value. */
export async function createApiKey(
  pool: Pool,
  name: string,
  role: string,
  rateLimitPerMinute: number | string = API_KEY_RATE_LIMIT.default,
): Promise<ApiKeyInfo & { key: string }> {
  if (!NAME.test(name)) throw new ApiKeyError('name', 'must be 1 to 64 letters, digits or . _ @ -, starting with a letter or digit');
  if (!isRole(role)) throw new ApiKeyError('role', `must be one of ${ROLES.join(', ')}`);
  const limit = checkRateLimit(rateLimitPerMinute);
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  try {
    const { rows } = await pool.query<ApiKeyInfo>(
      `INSERT INTO auth.api_keys (id, name, role, rate_limit_per_minute, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [randomUUID(), name, role, limit, hashOf(key), key.slice(0, 10)],
    );
    return { ...rows[0], key };
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new ApiKeyError('name', `an active key named ${name} exists; revoke it first or choose another name`);
    throw error;
  }
}

export async function listApiKeys(pool: Pool): Promise<ApiKeyInfo[]> {
  return (await pool.query<ApiKeyInfo>(`SELECT ${COLUMNS} FROM auth.api_keys ORDER BY created_at, name`)).rows;
}

/** Revokes by id or by the name of the active key; null when there is no such active key. */
export async function revokeApiKey(pool: Pool, idOrName: string): Promise<ApiKeyInfo | null> {
  const byId = /^[0-9a-f-]{36}$/i.test(idOrName);
  const { rows } = await pool.query<ApiKeyInfo>(
    `UPDATE auth.api_keys SET revoked_at = now() WHERE ${byId ? 'id = $1::uuid' : 'name = $1'} AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [idOrName],
  );
  return rows[0] ?? null;
}

/** The SHA-256 of a token that may be one of our keys; null for one that cannot be, which needs no lookup. */
export const apiKeyHash = (key: string): Buffer | null => (looksLikeApiKey(key) && key.length <= 200 ? hashOf(key) : null);

/** The principal of the active key with this hash; null for an unknown or revoked one. One indexed lookup. */
export async function findActiveApiKey(pool: Pool, hash: Buffer): Promise<Principal | null> {
  const { rows } = await pool.query<{ id: string; name: string; role: Role; rate_limit: number }>(
    'SELECT id, name, role, rate_limit_per_minute AS rate_limit FROM auth.api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    [hash],
  );
  const row = rows[0];
  return row ? { id: row.name, role: row.role, via: { kind: 'api-key', keyId: row.id, rateLimitPerMinute: row.rate_limit } } : null;
}

export async function countActiveAdminKeys(pool: Pool): Promise<number> {
  return Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM auth.api_keys WHERE role = 'admin' AND revoked_at IS NULL`)).rows[0].n);
}
