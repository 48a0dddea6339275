/**
 * One blue/green rebuild in a process of its own, as `npm run projections -- rebuild <name>` runs it: the import
 * bench forks this after its imports, so a rebuild's RSS is its own and not what the imports left in the bench's
 * heap (508-535 MiB reported for touchpoints that way, 204-229 MiB in a process that only rebuilds).
 *
 * As a script: `node rebuild-process.js <database url> <read model> <batch size>` prints one JSON line (RebuildRun).
 */
import { fork } from 'node:child_process';
import { Pool } from 'pg';
import { CUSTOMER_EVENT_SCHEMAS } from '../libs/domain/src';
import { PostgresEventStore, SchemaAwareEventStore } from '../libs/event-store/src';
import { Projector } from '../libs/projection-engine/src';
import { DEFAULT_TOUCHPOINT_CONFIG } from '../libs/touchpoints/src';
import { projections } from '../projections';
import { log } from './bench-support';

export interface RebuildRun {
  events: number;
  seconds: number;
  /** The process's CPU (every thread), seconds. */
  cpuSeconds: number;
  peakRssBytes: number;
}

/** Runs the rebuild in a forked process and gives what it measured. */
export function rebuildInProcess(url: string, name: string, batchSize: number): Promise<RebuildRun> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [url, name, String(batchSize)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as RebuildRun);
      else reject(new Error(`the rebuild of ${name} exited with ${code}: ${out.trim() || 'no output'}`));
    });
  });
}

async function main(url: string, name: string, batchSize: number): Promise<void> {
  const pool = new Pool({ connectionString: url, max: 4 }).on('error', () => undefined);
  const store = new PostgresEventStore({ connectionString: url, max: 4 });
  try {
    const projector = new Projector(pool, new SchemaAwareEventStore(store, CUSTOMER_EVENT_SCHEMAS), projections({ touchpoints: DEFAULT_TOUCHPOINT_CONFIG }), {
      batchSize,
      log: (line) => log(`rebuild: ${line}`),
    });
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const events = await projector.rebuild(name);
    clearInterval(sampler);
    const used = process.cpuUsage(cpu);
    const run: RebuildRun = { events, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6, peakRssBytes: peak };
    console.log(JSON.stringify(run));
  } finally {
    await store.close();
    await pool.end();
  }
}

if (require.main === module) {
  const [url, name, batchSize] = process.argv.slice(2);
  main(url, name, Number(batchSize)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
