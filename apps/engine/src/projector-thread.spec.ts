import type { Runtime } from './runtime';
import { runProjectorThread } from './projector-thread';

/** The restart loop of the single-process engine's projector thread, with real threads (issue 15: faults are ordinary). */
describe('the projector thread', () => {
  it('is started again when it stops on its own, and stops for good when the signal aborts', async () => {
    // Nothing listens on port 1: every thread fails while it opens its connections, and exits.
    const runtime = { database: { url: 'postgres://nobody:secret@127.0.0.1:1/none' } } as unknown as Runtime;
    const lines: string[] = [];
    const stopping = new AbortController();
    const running = runProjectorThread(runtime, (line) => lines.push(line), stopping.signal);
    const restarts = (): number => lines.filter((line) => line === 'the projector thread stopped (exit code 1): starting it again in 1 s').length;
    const started = Date.now();
    while (restarts() < 2) {
      if (Date.now() - started > 60_000) throw new Error(`not restarted twice within 60 s; it said: ${lines.join(' | ')}`);
      await new Promise((done) => setTimeout(done, 50));
    }
    stopping.abort();
    const abortedAt = Date.now();
    await running;
    expect(Date.now() - abortedAt).toBeLessThan(10_000);
    expect(lines.every((line) => line.startsWith('the projector thread stopped (exit code 1)'))).toBe(true);
  }, 90_000);
});
