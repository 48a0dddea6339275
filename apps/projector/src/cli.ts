import 'reflect-metadata';
import { userInfo } from 'node:os';
import { exitWith, withRuntime } from '../../engine/src';
import { leaseOwners, type ProjectionStatus } from '../../../libs/projection-engine/src';

const USAGE = `usage: npm run projections -- <command>
  status                                   each read model's state, version, position, lag and rate; where a stopped
                                           one stopped (position, event, type, error); which projector process holds
                                           which partitions, and which one leads
  rebuild <name>                           build the read model again from the whole log into new tables, beside the
                                           ones that serve, with progress, rate and ETA; then switch them in at once
  catch-up <name>                          apply everything committed since its checkpoints, then exit
  retry <name>                             try a stopped read model again at the event it stopped at (after a fix)
  skip <name> <position> --reason "<why>"  leave out the event a read model stopped at, for good: recorded with the
                                           reason and who skipped it (--by, default the OS user) in
                                           projector.skipped_events, which rebuilds honour`;

type Command =
  | { command: 'status' }
  | { command: 'rebuild' | 'catch-up' | 'retry'; name: string }
  | { command: 'skip'; name: string; position: number; reason: string; by: string };

/** The command line, or what is wrong with it. */
function parse(argv: string[]): Command | string {
  const [command, name, ...rest] = argv;
  if (command === 'status') return name === undefined ? { command } : `status takes no arguments, got ${argv.slice(1).join(' ')}`;
  if (command === 'rebuild' || command === 'catch-up' || command === 'retry') {
    if (!name) return `${command} needs the name of a read model`;
    return rest.length ? `${command} takes one name, got ${argv.slice(1).join(' ')}` : { command, name };
  }
  if (command !== 'skip') return command ? `unknown command "${command}"` : 'give a command';
  const [position, ...options] = rest;
  if (!name || !/^[1-9]\d{0,15}$/.test(position ?? '')) return 'skip needs the name of a read model and the position it stopped at (a positive integer)';
  const flags: Record<string, string> = { '--by': userInfo().username };
  for (let i = 0; i < options.length; i += 2) {
    if (options[i] !== '--reason' && options[i] !== '--by') return `unknown option ${options[i]}`;
    flags[options[i]] = options[i + 1] ?? '';
  }
  const reason = (flags['--reason'] ?? '').trim();
  if (!reason) return 'skip needs --reason "<why>": the reason is recorded with the skip';
  if (reason.length > 1000 || !flags['--by'].trim() || flags['--by'].length > 200) return '--reason takes at most 1,000 characters, --by 1 to 200';
  return { command, name, position: Number(position), reason, by: flags['--by'].trim() };
}

const describe = (status: ProjectionStatus): string[] => [
  `${status.name} v${status.version}: ${status.state}, position ${status.position}, ${status.lagEvents} events (${status.lagSeconds.toFixed(1)} s) behind, ` +
    `${status.rate} events/s, ${status.eventsProcessed} events passed`,
  ...(status.rebuilding
    ? [`  rebuilding version ${status.rebuilding.version}: ${status.rebuilding.percent} %, ${status.rebuilding.lagEvents} events to go at ${status.rebuilding.rate} events/s`]
    : []),
  ...status.stopped.map((at) => `  stopped in partition ${at.partition} at position ${at.position} (${at.type} ${at.eventId}) since ${at.since}: ${at.error}`),
  ...(status.lastError ? [`  last error: ${status.lastError}`] : []),
];

/** `npm run projections -- rebuild customer_overview`: operations on the read models, with progress output. */
async function main(argv: string[]): Promise<number> {
  const command = parse(argv);
  if (typeof command === 'string') {
    console.error(`${command}\n${USAGE}`);
    return 2;
  }
  // Ctrl-C during a rebuild leaves the read model as it was (the build starts again from the start next time).
  return withRuntime(async (runtime) => {
    const { projector } = runtime;
    if (command.command === 'status') {
      for (const status of await projector.status()) console.log(describe(status).join('\n'));
      const owners = new Map<string, number[]>();
      for (const lease of await leaseOwners(runtime.readModels)) owners.set(lease.owner ?? 'nobody', [...(owners.get(lease.owner ?? 'nobody') ?? []), lease.partition]);
      for (const [owner, partitions] of owners) {
        const leads = partitions.includes(-1) ? ' (leader)' : '';
        console.log(`partitions ${partitions.filter((p) => p >= 0).join(', ') || 'none'}: ${owner}${owner === 'nobody' ? '' : leads}`);
      }
      return 0;
    }
    const { name } = command;
    projector.projection(name);
    if (command.command === 'retry') {
      const stopped = await projector.retry(name);
      console.log(stopped ? `${name}: ${stopped} stopped partition(s) will be tried again by the running projector` : `${name} is not stopped: nothing to retry`);
      return 0;
    }
    if (command.command === 'skip') {
      const at = await projector.skip(name, command.position, command.reason, command.by);
      console.log(`${name}: skipped position ${at.position} (${at.type} ${at.eventId}), recorded for ${command.by}; the running projector goes on after it`);
      return 0;
    }
    const started = Date.now();
    let lastReport = 0;
    let processed: number;
    if (command.command === 'rebuild') {
      console.log(`${name}: building version ${projector.projection(name).version} beside the one that serves (it keeps serving until the switch)`);
      processed = await projector.rebuild(name, (progress) => {
        if (Date.now() - lastReport < 1000) return;
        lastReport = Date.now();
        const percent = (100 * progress.processed) / Math.max(1, progress.processed + progress.lagEvents);
        const eta = progress.rate > 0 ? `, about ${Math.ceil(progress.lagEvents / progress.rate)} s to go` : '';
        console.log(`${name}: ${progress.processed} events (${percent.toFixed(1)} %), ${progress.rate} events/s${eta}`);
      });
    } else {
      processed = await projector.catchUp(name, (done) => {
        if (Date.now() - lastReport < 1000) return;
        lastReport = Date.now();
        console.log(`${name}: ${done} events, ${Math.round(done / ((Date.now() - started) / 1000))} events/s`);
      });
    }
    console.log(`${name}: ${command.command} done, ${processed} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  });
}

exitWith(main(process.argv.slice(2)));
