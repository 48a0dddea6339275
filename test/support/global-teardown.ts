import { rm } from 'node:fs/promises';

/** Stops the run's PostgreSQL and removes its temporary cluster folder. */
export default async function globalTeardown(): Promise<void> {
  const database = (globalThis as { __testDatabase?: { stop(): Promise<void>; dataDir: string } }).__testDatabase;
  if (!database) return;
  await database.stop();
  await rm(database.dataDir, { recursive: true, force: true });
}
