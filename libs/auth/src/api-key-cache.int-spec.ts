import { createHash, randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { until } from '../../../test/support/until';
import { ApiKeyCache, type ApiKeyCacheOptions } from './api-key-cache';
import { createApiKey, migrateApiKeys, revokeApiKey } from './api-keys';

/**
 * Issue 14: API keys served from memory, with a revocation reaching every process within a second. `engine` is the
 * pool of the process under test; `other` stands for another process (the keys CLI, a second engine, a psql session).
 */
let database: TestDatabase;
let engine: Pool;
let other: Pool;
const caches: ApiKeyCache[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  engine = new Pool({ connectionString: database.url, max: 4 });
  other = new Pool({ connectionString: database.url, max: 2 });
  expect(await migrateApiKeys(other)).toEqual([1, 2, 3, 4, 5]);
});
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
  jest.restoreAllMocks();
});
afterAll(async () => {
  await engine.end();
  await other.end();
  await database.drop();
});

let made = 0;
const newKey = async (): Promise<{ name: string; key: string }> => {
  const { name, key } = await createApiKey(other, `cache-${++made}`, 'agent');
  return { name, key };
};

/** A cache whose LISTEN is live and which holds `key`, as after a first request. */
async function cacheHolding(keys: string[], options: ApiKeyCacheOptions = {}): Promise<ApiKeyCache> {
  const cache = new ApiKeyCache(engine, { maxAgeMs: 60_000, ...options });
  caches.push(cache);
  await cache.authenticate(keys[0]);
  await until('the LISTEN connection is live', () => cache.listening, 5_000);
  for (const key of keys) expect(await cache.authenticate(key)).not.toBeNull();
  return cache;
}

/** Queries the engine's pool sends from here on: the spy passes every query through to PostgreSQL. */
const countQueries = () => jest.spyOn(engine, 'query');

const refused = (cache: ApiKeyCache, key: string) => async () => (await cache.authenticate(key)) === null;

it('answers a cached key without a query', async () => {
  const { key, name } = await newKey();
  const cache = await cacheHolding([key]);
  const queries = countQueries();
  expect(await cache.authenticate(key)).toMatchObject({ id: name, role: 'agent', via: { kind: 'api-key' } });
  expect(queries).not.toHaveBeenCalled();
});

// The maximum age of an entry is 60 s in these tests, so only the notification can explain a refusal within 1 s.
it('refuses a key revoked through another connection within 1 s, in a process that had it cached, and keeps the others', async () => {
  const revoked = await newKey();
  const kept = await newKey();
  const cache = await cacheHolding([revoked.key, kept.key]);
  expect(await revokeApiKey(other, revoked.name)).not.toBeNull();
  expect(await until('the revoked key is refused', refused(cache, revoked.key), 1_000)).toBeLessThan(1_000);
  const queries = countQueries();
  expect(await cache.authenticate(kept.key)).not.toBeNull();
  expect(queries).not.toHaveBeenCalled();
});

it('refuses keys revoked or deleted with plain SQL within 1 s', async () => {
  const updated = await newKey();
  const deleted = await newKey();
  const cache = await cacheHolding([updated.key, deleted.key]);
  await other.query('UPDATE auth.api_keys SET revoked_at = now() WHERE name = $1', [updated.name]);
  await other.query('DELETE FROM auth.api_keys WHERE name = $1', [deleted.name]);
  await until('the key revoked by UPDATE is refused', refused(cache, updated.key), 1_000);
  await until('the key removed by DELETE is refused', refused(cache, deleted.key), 1_000);
});

it('after losing its LISTEN connection, looks every key up until it is back, so a revocation in the gap holds', async () => {
  const revoked = await newKey();
  const kept = await newKey();
  const cache = await cacheHolding([revoked.key, kept.key], { reconnect: { firstMs: 1_000, maxMs: 1_000 } });
  await other.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'listen:auth_api_keys_changed' AND datname = current_database()`);
  await until('the loss is seen', () => !cache.listening, 2_000);
  // Nobody listens now: the notification of this revocation reaches no process.
  await other.query('UPDATE auth.api_keys SET revoked_at = now() WHERE name = $1', [revoked.name]);
  expect(cache.listening).toBe(false);
  expect(await cache.authenticate(revoked.key)).toBeNull();
  const queries = countQueries();
  expect(await cache.authenticate(kept.key)).not.toBeNull();
  expect(await cache.authenticate(kept.key)).not.toBeNull();
  expect(queries).toHaveBeenCalledTimes(2);
  queries.mockRestore();

  await until('the LISTEN connection is back', () => cache.listening, 5_000);
  expect(await cache.authenticate(kept.key)).not.toBeNull();
  await revokeApiKey(other, kept.name);
  await until('a revocation after the reconnection is refused', refused(cache, kept.key), 1_000);
});

it('outlives a lost notification by the maximum age of an entry', async () => {
  const { key, name } = await newKey();
  const cache = await cacheHolding([key], { maxAgeMs: 300 });
  // With triggers off (replica mode) the revocation sends no notification: the case of one lost on the way.
  const client = await other.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query('UPDATE auth.api_keys SET revoked_at = now() WHERE name = $1', [name]);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  const revokedAt = performance.now();
  expect(await cache.authenticate(key)).not.toBeNull();
  await until('the entry has aged out', refused(cache, key), 1_000);
  expect(performance.now() - revokedAt).toBeLessThan(1_000);
});

it('never remembers a refusal: a key created by another process after a miss works on its next request', async () => {
  const cache = await cacheHolding([(await newKey()).key]);
  const key = `tlk_${randomBytes(32).toString('base64url')}`;
  expect(await cache.authenticate(key)).toBeNull();
  // Inserted by hand, as another process's createApiKey would: an INSERT notifies nobody.
  await other.query(`INSERT INTO auth.api_keys (id, name, role, key_hash, key_prefix) VALUES (gen_random_uuid(), 'late', 'analyst', $1, $2)`, [
    createHash('sha256').update(key).digest(),
    key.slice(0, 10),
  ]);
  expect(await cache.authenticate(key)).toMatchObject({ id: 'late', role: 'analyst' });
});

it('refuses what cannot be one of our keys without a query', async () => {
  const cache = new ApiKeyCache(engine);
  caches.push(cache);
  const queries = countQueries();
  for (const token of ['', 'abc', 'eyJhbGciOi.x.y', `tlk_${'a'.repeat(300)}`]) expect(await cache.authenticate(token)).toBeNull();
  expect(queries).not.toHaveBeenCalled();
});
