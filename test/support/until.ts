/**
 * Polls `condition` every 10 ms until it holds, and returns how long that took; throws once `withinMs` has passed,
 * naming what was awaited. For assertions about things another connection or process does.
 */
export async function until(what: string, condition: () => boolean | Promise<boolean>, withinMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await condition()) return performance.now() - started;
    if (performance.now() - started > withinMs) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((done) => setTimeout(done, 10));
  }
}
