import type { Runtime } from './runtime';
import { runProjectorThreads } from './projector-thread';

/** The restart loop of the single-process engine's projector thread, with real threads (issue 15: faults are ordinary). */
describe('the projector threads', () => {
  it('are started again when they stop on their own, and stop for good when the signal aborts', async () => {
    // Nothing listens on port 1: every thread fails while it opens its connections, and exits.
    const runtime = { database: { url: 'postgres://nobody:secret@127.0.0.1:1/none' } } as unknown as Runtime;
    const lines: string[] = [];
    const stopping = new AbortController();
    const running = runProjectorThreads(runtime, (line) => lines.push(line), stopping.signal);
    const restarts = (thread: string): number => lines.filter((line) => line === `the ${thread} thread stopped (exit code 1): starting it again in 1 s`).length;
    const started = Date.now();
    while (restarts('projector') < 2 || restarts('schedules') < 2) {
      if (Date.now() - started > 60_000) throw new Error(`not restarted twice within 60 s; it said: ${lines.join(' | ')}`);
      await new Promise((done) => setTimeout(done, 50));
    }
    stopping.abort();
    const abortedAt = Date.now();
    await running;
    expect(Date.now() - abortedAt).toBeLessThan(10_000);
    expect(lines.every((line) => /^the (projector|schedules) thread stopped \(exit code 1\)/.test(line))).toBe(true);
  }, 90_000);
});
