import type { Response } from 'express';
import type { Projector } from '../../../../libs/projection-engine/src';

/**
 * ?minPosition=: waits (bounded by READ_YOUR_WRITES_TIMEOUT_MS) until the read models a query answers from have passed
 * the caller's write, and marks the answer `X-Read-Model-Stale: true` when they have not in time (or one of them is
 * stopped before it). Only those read models: a slow one elsewhere does not hold the query.
 */
export async function readYourWrites(
  projector: Projector,
  timeoutMs: number,
  res: Response,
  minPosition: number | undefined,
  readModels: readonly string[],
): Promise<void> {
  if (minPosition === undefined) return;
  if (!(await projector.waitFor(minPosition, timeoutMs, readModels))) res.setHeader('X-Read-Model-Stale', 'true');
}
