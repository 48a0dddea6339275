import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exitWith, loadConfig, openRuntime } from '../../engine/src';
import { createApi } from './app';
import { OPENAPI_DOCUMENT_FILE, stableJson } from './http/openapi';

/**
 * `npm run openapi` (first step): writes the document the engine serves at /docs-json to docs/openapi.json, keys
 * sorted. The engine runs on a throwaway embedded PostgreSQL in a temporary folder, so neither ./.data nor a
 * DATABASE_URL of yours is touched; the npm script then makes the console's types of the file with openapi-typescript.
 */
async function main(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'openapi-'));
  try {
    const runtime = await openRuntime(loadConfig({ DATA_DIR: dataDir, RUN_PROJECTOR: 'false' }), () => undefined);
    try {
      const app = await createApi(runtime, { logger: false });
      try {
        await app.listen(0, '127.0.0.1');
        const answer = await fetch(`${await app.getUrl()}/docs-json`);
        if (!answer.ok) throw new Error(`GET /docs-json answered ${answer.status}`);
        const file = resolve(OPENAPI_DOCUMENT_FILE);
        await writeFile(file, stableJson(await answer.json()));
        console.log(`wrote ${file}`);
      } finally {
        await app.close();
      }
    } finally {
      await runtime.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return 0;
}

exitWith(main());
