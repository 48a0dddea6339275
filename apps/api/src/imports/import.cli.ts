import 'reflect-metadata';
import { createReadStream, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { exitWith, withRuntime } from '../../../engine/src';
import { cdnowCommands, readLines } from './import-sources';
import { TouchpointSchedules } from '../customers/touchpoint-schedule';
import { Importer, type ImportProgress } from './importer';
import { ratedCurrencies } from '../../../../libs/segments/src';

const USAGE = `usage: npm run import -- [--format ndjson|cdnow] [--batch-size <lines>] <file>
  ndjson (default)  one command per line: the API's request body plus type, customerId, occurredAt (and optional eventId)
  cdnow             the CDNOW transaction files (see ../shared/data/cdnow/README.md)
Re-running an import is safe: lines already imported are skipped as duplicates.`;

const parseArgs = (argv: string[]): { file: string; format: string; batchSize?: number } | string => {
  let format = 'ndjson';
  let batchSize: number | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--format') format = argv[++i] ?? '';
    else if (argv[i] === '--batch-size') batchSize = Number(argv[++i]);
    else if (argv[i].startsWith('--')) return `unknown option ${argv[i]}`;
    else files.push(argv[i]);
  }
  if (files.length !== 1) return 'give exactly one file';
  if (format !== 'ndjson' && format !== 'cdnow') return `--format must be ndjson or cdnow, got "${format}"`;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)) return '--batch-size must be an integer from 1 to 100000';
  return { file: files[0], format, batchSize };
};

const seconds = (s: number): string => (s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${s.toFixed(0)}s`);

/** A bar with rate and ETA on a terminal; a plain line every 5 s otherwise (logs, CI). */
function progressReporter(total: number): (p: ImportProgress) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < (tty ? 200 : 5000)) return;
    last = now;
    const rate = p.seconds > 0 ? Math.round(p.events / p.seconds) : 0;
    const share = total > 0 ? Math.min(1, p.bytesDone / total) : 0;
    const eta = share > 0 ? (p.seconds / share) * (1 - share) : 0;
    const counts = `${p.linesRead} lines, ${p.events} events, ${p.rejected} rejected, ${p.duplicates} duplicates, ${rate} events/s`;
    if (tty) {
      const width = 30;
      const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
      process.stderr.write(`\r[${bar}] ${(share * 100).toFixed(0).padStart(3)}% ${counts}, ETA ${seconds(eta)}   `);
    } else {
      process.stderr.write(`import: ${(share * 100).toFixed(0)}% ${counts}, ETA ${seconds(eta)}\n`);
    }
  };
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  let size: number;
  try {
    size = statSync(args.file).size;
  } catch (error) {
    console.error(`cannot read ${args.file}: ${(error as Error).message}`);
    return 2;
  }
  // Ctrl-C: the batch in flight rolls back; everything committed before stays, and a re-run skips it.
  return withRuntime(async (runtime) => {
    const lines = readLines(createReadStream(args.file, { highWaterMark: 1 << 20 }), runtime.config.bodyLimitBytes);
    const importer = new Importer(runtime.store, {
      batchSize: args.batchSize,
      touchpoints: new TouchpointSchedules(runtime.readModels, runtime.touchpoints),
      currencies: ratedCurrencies(runtime.segments),
      metadata: { actor: { id: `cli:${userInfo().username}`, role: 'import' } },
      // The message names the field and the rule, as the API's error does.
      onRejected: (r) => process.stdout.write(`line ${r.line} (${r.statusCode}): ${r.message}\n`),
      onProgress: progressReporter(size),
    });
    const summary = await importer.run(args.format === 'cdnow' ? cdnowCommands(lines) : lines);
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(
      `import ${summary.importId} done: ${summary.linesRead} lines read, ${summary.imported} imported, ${summary.rejected} rejected, ` +
        `${summary.duplicates} duplicates skipped; ${summary.events} events in ${summary.seconds.toFixed(1)} s (${summary.eventsPerSecond} events/s)`,
    );
    // The global chain is sealed here too, so the log is whole for an audit even when no engine runs (one that does
    // seals alongside; one sealer at a time).
    const sealing = Date.now();
    const sealed = (await runtime.sealer?.sealAll()) ?? 0;
    if (sealed) console.log(`sealed ${sealed} events into the global chain in ${((Date.now() - sealing) / 1000).toFixed(1)} s`);
    console.log('Projections catch up in the running engine (npm start); GET /projections shows their progress.');
    return summary.rejected > 0 ? 1 : 0;
  });
}

exitWith(main(process.argv.slice(2)));
