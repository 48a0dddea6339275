import 'reflect-metadata';
import { verifyHashChains, type HashChainReport } from '../../../libs/event-store/src';
import { exitWith, loadConfig, withRuntime } from '../../engine/src';

const USAGE = `usage: npm run audit -- <command>
  verify [--concurrency <n>]  walks the tamper evidence of the PostgreSQL event log: each stream's hash chain (every
                              event linked to the previous one of its stream) and the sealed global chain (every
                              committed event linked, in commit order, to the one before it), and checks the seal head
                              names the last seal. Events not sealed yet are pending; older than SEAL_ALARM_SECONDS
                              (default 60) they are an alarm. Prints "verified N events in M streams: intact" and
                              exits 0, or names the first broken link (chain, stream, positions, event id) and exits 1.
                              --concurrency: pages checked side by side (default 2)`;

const parseArgs = (argv: string[]): { command: 'verify'; concurrency: number } | string => {
  const [command, ...rest] = argv;
  if (command !== 'verify') return command ? `unknown command "${command}"` : 'give a command';
  let concurrency = 2;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== '--concurrency') return `unknown option ${rest[i]}`;
    const value = rest[++i] ?? '';
    if (!/^[1-9]\d?$/.test(value)) return `--concurrency must be a whole number from 1 to 99, got "${value}"`;
    concurrency = Number(value);
  }
  return { command, concurrency };
};

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function report(result: HashChainReport, started: number): string {
  if (result.ok) {
    const { head, pending } = result;
    return [
      `verified ${result.events} events in ${result.streams} streams: intact`,
      head.seq
        ? `seal head: seal ${head.seq} at global position ${head.position}, sha256 ${head.hash}`
        : 'seal head: nothing sealed yet',
      `pending: ${pending.events} events not sealed yet${pending.events ? `, the oldest for ${pending.oldestSeconds.toFixed(1)} s` : ''}; ${seconds(started)}`,
    ].join('\n');
  }
  const where =
    result.streamId === null
      ? `global position ${result.globalPosition}`
      : `stream ${result.streamId}, stream position ${result.streamPosition}, global position ${result.globalPosition}, event ${result.eventId}`;
  return [`BROKEN: the ${result.chain} chain breaks at ${where}`, `  ${result.reason}`].join('\n');
}

/** `npm run audit -- verify`. */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  if (loadConfig().eventStore !== 'postgres') {
    console.error(
      'tamper evidence (hash chains) is kept by the PostgreSQL event store only; this engine is configured with EVENT_STORE=eventstoredb, ' +
        'whose log has no hash chain to verify',
    );
    return 2;
  }
  return withRuntime(async (runtime) => {
    const started = Date.now();
    let shown = started;
    const result = await verifyHashChains(runtime.readModels, {
      concurrency: args.concurrency,
      sealAlarmSeconds: runtime.config.seal.alarmSeconds,
      onProgress: ({ phase, checkedUpTo, of }) => {
        if (Date.now() - shown < 1000) return;
        shown = Date.now();
        const unit = phase === 'seals' ? 'seal' : 'global position';
        console.error(`verify: ${phase} checked up to ${unit} ${checkedUpTo} of ${of} (${Math.floor((checkedUpTo / Math.max(of, 1)) * 100)}%), ${seconds(started)}`);
      },
    });
    (result.ok ? console.log : console.error)(report(result, started));
    return result.ok ? 0 : 1;
  });
}

exitWith(main(process.argv.slice(2)));
