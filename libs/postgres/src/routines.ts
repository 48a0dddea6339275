import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PoolClient } from 'pg';

/**
 * SQL routines (functions, aggregates, procedures) live in .sql files next to the code that calls them, one file per
 * routine or per module, each statement a CREATE OR REPLACE. A file that replaces a routine whose arguments changed
 * drops the old signature too (DROP FUNCTION IF EXISTS), so an upgraded database keeps no routine a fresh one lacks.
 *
 * The build copies the .sql files next to the compiled .js (package.json "build"), so the same paths, taken from the
 * module's __dirname, work from the source tree (jest) and from dist (npm start, the CLIs, the benchmarks).
 */
export const routineFiles = (dir: string, ...names: string[]): readonly string[] => names.map((name) => join(dir, name));

export interface RoutineSql {
  file: string;
  sql: string;
}

export const readRoutines = (files: readonly string[]): Promise<RoutineSql[]> =>
  Promise.all(files.map(async (file) => ({ file, sql: await readFile(file, 'utf8') })));

/** Runs each file in order in the caller's transaction (migrate's, which holds the component's lock). */
export async function installRoutines(client: PoolClient, routines: readonly RoutineSql[]): Promise<void> {
  for (const { file, sql } of routines) {
    try {
      await client.query(sql);
    } catch (error) {
      throw new Error(`routine file ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
