/**
 * Runs `stop` once, on the first SIGINT or SIGTERM, then exits 0 whatever it throws: a second signal while
 * stopping does not start a second shutdown.
 */
export function stopOnSignal(say: (line: string) => void, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    void stop()
      .catch((error: unknown) => say(`while stopping: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}
