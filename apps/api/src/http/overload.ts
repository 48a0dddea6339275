import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** A command refused because MAX_IN_FLIGHT_COMMANDS were already running: it did not start, nothing was written. */
export class Overloaded extends Error {
  constructor(readonly maxInFlight: number) {
    super(`the engine is busy: ${maxInFlight} commands are in flight (MAX_IN_FLIGHT_COMMANDS)`);
  }
}

const COMMANDS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Sheds commands past `max` in flight with a 503 at once, instead of queueing them: offered twice what it could do,
 * the engine used to accept everything, answered in 13 s at p99 and kept the memory (issue 15). Reads and /health are
 * not counted: they hold no lock and write nothing, the pool bounds their database work, and an operator must be able
 * to look at an overloaded engine.
 *
 * It stands in front of the server's own request listener (the whole Express and Nest pipeline), and the refusal is
 * one prepared answer: at twice the sustainable rate half the commands are refused, and each refusal taken through
 * the pipeline (routing, an error with its stack, the error handler, JSON) held the API's thread from the commands
 * it had accepted and from new connections. `answer` is the body of the refusal, made once.
 */
export function shedOverload(server: Server, max: number, answer: { retryAfterSeconds?: number }): void {
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
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (COMMANDS.has(req.method ?? '')) {
      if (inFlight >= max) {
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
