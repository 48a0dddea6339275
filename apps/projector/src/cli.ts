import 'reflect-metadata';
import { exitWith, withRuntime } from '../../engine/src';

const USAGE = `usage: npm run projections -- <command>
  status              each projection's position, lag and rate
  rebuild <name>      empty the projection's tables and replay the whole log into them
  catch-up <name>     apply everything committed since its checkpoint, then exit`;

/** `npm run projections -- rebuild customer_overview`: operations on the read models, with progress output. */
async function main(argv: string[]): Promise<number> {
  const [command, name] = argv;
  if (!command || (command !== 'status' && !name)) {
    console.error(USAGE);
    return 2;
  }
  // Ctrl-C during a rebuild rolls its transaction back.
  return withRuntime(async (runtime) => {
    if (command === 'status') {
      console.table(await runtime.projector.status());
      return 0;
    }
    if (command !== 'rebuild' && command !== 'catch-up') {
      console.error(`unknown command "${command}"\n${USAGE}`);
      return 2;
    }
    runtime.projector.projection(name);
    const started = Date.now();
    let lastReport = 0;
    const progress = (processed: number): void => {
      if (Date.now() - lastReport < 1000) return;
      lastReport = Date.now();
      console.log(`${name}: ${processed} events, ${Math.round(processed / ((Date.now() - started) / 1000))} events/s`);
    };
    const processed = command === 'rebuild' ? await runtime.projector.rebuild(name, progress) : await runtime.projector.catchUp(name, progress);
    console.log(`${name}: ${command} done, ${processed} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  });
}

exitWith(main(process.argv.slice(2)));
