import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** A command refused because the engine's limit of commands in flight was reached: it did not start, nothing was written. */
export class Overloaded extends Error {
  constructor(readonly maxInFlight: number) {
    super(
      `the engine is busy: as many commands are in flight as it takes now (at most ${maxInFlight}, MAX_IN_FLIGHT_COMMANDS; fewer while its API thread is busier than MAX_API_BUSY_PERCENT)`,
    );
  }
}

export interface ShedLimits {
  /** Commands in flight at most (MAX_IN_FLIGHT_COMMANDS). */
  maxInFlight: number;
  /** The share of each window, in percent, that the API's thread may be busy before the limit comes down (MAX_API_BUSY_PERCENT). */
  maxBusyPercent: number;
}

/** How often the API thread's utilisation is read and the limit moved. */
export const WINDOW_MS = 250;

/**
 * The limit of commands in flight for the next window: a quarter lower after a window in which the API's thread was
 * busier than allowed, back up by a sixteenth of the maximum after one that was not (down fast, up slowly, as TCP's
 * congestion window). Never below 1, so commands trickle through however busy the thread is.
 */
export const nextLimit = (limit: number, busyPercent: number, limits: ShedLimits): number =>
  busyPercent > limits.maxBusyPercent
    ? Math.max(1, Math.floor(limit * 0.75))
    : Math.min(limits.maxInFlight, limit + Math.max(1, Math.ceil(limits.maxInFlight / 16)));

const COMMANDS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Sheds commands past the limit in flight with a 503 at once, instead of queueing them: offered twice what it could
 * do, the engine used to accept everything, answered in 13 s at p99 and kept the memory (issue 15). Reads and /health
 * are not counted: they hold no lock and write nothing, the pool bounds their database work, and an operator must be
 * able to look at an overloaded engine.
 *
 * The limit is MAX_IN_FLIGHT_COMMANDS, lowered while the API's thread is saturated (nextLimit). A saturated thread
 * also stops taking connections: Node 20's libuv accepts one connection per turn of the event loop, and a turn of a
 * saturated loop lasts milliseconds, so a client opening a few hundred connections at once waited seconds in the
 * kernel's accept queue for answers that, once read, took 200 ms (the 2x tail, bench/RESULTS.md). Keeping the thread
 * below saturation keeps its turns short and the accept queue empty.
 *
 * It stands in front of the server's own request listener (the whole Express and Nest pipeline), and the refusal is
 * one prepared answer: at twice the sustainable rate half the commands are refused, and each refusal taken through
 * the pipeline (routing, an error with its stack, the error handler, JSON) held the thread from the commands it had
 * accepted. `answer` is the body of the refusal, made once.
 */
export function shedOverload(server: Server, limits: ShedLimits, answer: { retryAfterSeconds?: number }): void {
  const listeners = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  const body = Buffer.from(JSON.stringify(answer));
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(body.length),
    'Retry-After': String(answer.retryAfterSeconds ?? 1),
    'Cache-Control': 'no-store',
  };
  let inFlight = 0;
  let limit = limits.maxInFlight;
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const window = setInterval(() => {
    const now = performance.eventLoopUtilization();
    limit = nextLimit(limit, 100 * performance.eventLoopUtilization(now, last).utilization, limits);
    last = now;
  }, WINDOW_MS).unref();
  server.once('close', () => clearInterval(window));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (COMMANDS.has(req.method ?? '')) {
      if (inFlight >= limit) {
        // The body it did not read is discarded by Node once the answer is sent; the connection stays open.
        res.writeHead(503, headers).end(body);
        return;
      }
      inFlight += 1;
      // 'close' comes once, whether the answer was sent or the client went away.
      res.once('close', () => (inFlight -= 1));
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
}
