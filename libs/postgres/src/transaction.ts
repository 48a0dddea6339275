import type { ClientBase, Pool, PoolClient } from 'pg';

/** Runs `work` in one transaction on the client, begun with `begin`: COMMIT on success, ROLLBACK on any error. */
export async function inClientTransaction<T, C extends ClientBase = PoolClient>(client: C, work: (client: C) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  await client.query(begin);
  try {
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Lends `work` one pooled connection. A connection the server cuts while it is lent out and between two queries
 * (a restart, pg_terminate_backend) emits 'error' with nobody listening, which would end the process: the error is
 * held here instead, the next query on the connection fails, and the connection is destroyed, not returned.
 */
export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let cut: Error | undefined;
  const hold = (error: Error): void => {
    cut = error;
  };
  client.on('error', hold);
  try {
    return await work(client);
  } catch (error) {
    // The cut itself says more (57P01, ECONNRESET) than the next query's "not queryable", and it names a connection fault.
    throw cut ?? error;
  } finally {
    client.removeListener('error', hold);
    client.release(cut);
  }
}

/** Runs `work` in one transaction on one pooled connection: COMMIT on success, ROLLBACK on any error. */
export const inTransaction = <T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> =>
  withClient(pool, (client) => inClientTransaction(client, work));
