import 'reflect-metadata';
import { exitWith, withRuntime } from '../../engine/src';
import { evaluateAndRecord, reapplyRules } from '../../../projections/segments/segment-recording';
import { type EvaluationSummary } from '../../../projections/segments/segment-evaluation';

const USAGE = `usage: npm run segments -- <command>
  evaluate [--as-of <ISO instant>]  bring segment_facts up to date, evaluate every family as of the instant (default
                                    now) and record it; prints members per segment and customers per R, F, M score
                                    and ABC class. An instant before the latest recorded evaluation is a preview:
                                    computed and printed, not recorded.
  reevaluate                        restate the past under the config of now: records that every evaluation so far
                                    is to be redone with it, then rebuilds segment_facts blue/green, which redoes each
                                    at its instant on the facts it saw (membership history, change feed and scores)`;

const parseArgs = (argv: string[]): { command: 'evaluate'; asOf: string } | { command: 'reevaluate' } | string => {
  const [command, ...rest] = argv;
  if (command === 'reevaluate') return rest.length ? `reevaluate takes no arguments, got ${rest.join(' ')}` : { command };
  if (command !== 'evaluate') return command ? `unknown command "${command}"` : 'give a command';
  let asOf = new Date().toISOString();
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== '--as-of') return `unknown option ${rest[i]}`;
    const value = rest[++i] ?? '';
    const at = Date.parse(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at)) return `--as-of must be an ISO 8601 date or instant such as 1998-07-01 or 1998-07-01T00:00:00Z, got "${value}"`;
    if (at > Date.now()) return `--as-of must not be in the future (history only moves forward), got "${value}"`;
    asOf = new Date(at).toISOString();
  }
  return { command, asOf };
};

const counts = (byKey: Record<string, number>): string =>
  Object.entries(byKey)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, n]) => `${key}=${n}`)
    .join(' ') || '(none)';

/** The printed report; the CDNOW acceptance test reads its score and class lines. */
function report(summary: EvaluationSummary): string {
  const segments = Object.entries(summary.segments).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const width = Math.max(0, ...segments.map(([segment]) => segment.length));
  return [
    `evaluation ${summary.recorded ? `#${summary.evaluationId} recorded` : 'NOT recorded (preview: an evaluation at a later instant exists)'}` +
      ` as of ${summary.asOf}, config ${summary.configVersion}, facts at position ${summary.factsPosition}`,
    `customers ${summary.customers}, memberships ${summary.memberships}, entered ${summary.entered}, left ${summary.left}, ${summary.durationMs} ms`,
    'members per segment:',
    ...segments.map(([segment, n]) => `  ${segment.padEnd(width)}  ${n}`),
    'customers per score (customers with a completed trip) and per ABC class:',
    `  R ${counts(summary.scores.r)}`,
    `  F ${counts(summary.scores.f)}`,
    `  M ${counts(summary.scores.m)}`,
    `  ABC ${counts(summary.scores.abc)}`,
  ].join('\n');
}

/** `npm run segments -- evaluate --as-of 1998-07-01`. */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  // Ctrl-C rolls the evaluation's transaction back: nothing half-recorded.
  return withRuntime(async (runtime) => {
    const started = Date.now();
    // Everything committed before the command: a catch-up stops at events whose transaction is still settling
    // (another writer's open transaction holds them back for a moment), so it goes on until what is left, if
    // anything, was recorded after the command started.
    for (;;) {
      await runtime.projector.catchUp('segment_facts', (processed) => {
        if (Date.now() - started > 2000) console.error(`segment_facts: ${processed} events projected`);
      });
      const [facts] = (await runtime.projector.status()).filter((status) => status.name === 'segment_facts');
      if (facts.lagEvents === 0 || facts.lagSeconds * 1000 < Date.now() - started) break;
      if (Date.now() - started > 30_000) {
        console.error(`segment_facts: ${facts.lagEvents} events not visible yet after 30 s; evaluating without them`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (args.command === 'evaluate') {
      console.log(report(await evaluateAndRecord(runtime.readModels, runtime.store, runtime.segments, { asOf: args.asOf, trigger: 'on-demand' })));
      return 0;
    }
    const through = await reapplyRules(runtime.readModels, runtime.store, runtime.segments);
    console.error(`reevaluate: evaluations 1 to ${through} are redone with config ${runtime.segments.version}; rebuilding segment_facts`);
    let reported = 0;
    const events = await runtime.projector.rebuild('segment_facts', (progress) => {
      if (Date.now() - reported < 2000) return;
      reported = Date.now();
      console.error(`reevaluate: ${progress.processed} events, ${progress.lagEvents} to go at ${progress.rate} events/s`);
    });
    console.log(`reevaluate done: ${through} evaluations redone over ${events} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  });
}

exitWith(main(process.argv.slice(2)));
