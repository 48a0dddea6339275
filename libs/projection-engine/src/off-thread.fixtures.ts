/* Functions for off-thread.spec.ts to run in a worker thread. Test-only. */
import { threadId } from 'node:worker_threads';

export const describeCall = (text: string, times: number): { text: string; threadId: number } => ({ text: text.repeat(times), threadId });

export const refuse = (reason: string): never => {
  throw new RangeError(reason);
};

export const die = (): never => process.exit(3);
