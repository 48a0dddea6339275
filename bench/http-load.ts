/**
 * Load shapes for bench/http.bench.ts over Node's own http client with keep-alive sockets: closed loop (N clients,
 * each sends its next command when the last one is answered) and open loop (commands arrive at a fixed rate whatever
 * the answers do; latency counts from the instant a command was due, so a server that falls behind shows it).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { sleep } from './bench-support';

const REQUEST_TIMEOUT_MS = 10_000;

export interface Answer {
  status: number;
  body: string;
  /** The Retry-After header, in seconds, when there is one. */
  retryAfterSeconds?: number;
}

export interface HttpClient {
  post(path: string, body: unknown): Promise<Answer>;
  close(): void;
}

export function httpClient(baseUrl: string, token: string, maxSockets: number): HttpClient {
  const url = new URL(baseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`not a loopback address: ${baseUrl}`);
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    post: (path, body) =>
      new Promise<Answer>((done, fail) => {
        const payload = JSON.stringify(body);
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path,
            method: 'POST',
            agent,
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            const retryAfter = Number(res.headers['retry-after']);
            res.on('end', () => done({ status: res.statusCode ?? 0, body: text, ...(retryAfter >= 0 && { retryAfterSeconds: retryAfter }) }));
            res.on('error', fail);
          },
        );
        req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
        req.on('error', fail);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}

export interface LoadResult {
  /** Commands answered with the expected status. */
  ok: number;
  /** Other statuses, network errors and timeouts; the first few are kept as samples. */
  errors: number;
  /** Of the errors: open-loop commands never sent because too many were unanswered already. */
  unsent: number;
  /** Of the errors: answers 503, the engine shedding load (MAX_IN_FLIGHT_COMMANDS, a full stream queue). */
  shed: number;
  errorSamples: string[];
  seconds: number;
  /** Latencies of the answered commands, ms, sorted. */
  latencies: number[];
  /** The accepted commands as [ms from the start to the answer, latency ms], in the order they were answered. */
  timeline: [number, number][];
  /**
   * Open loop: how late after its due instant each command was handed to the client, ms, sorted. The load
   * generator's own lateness (it shares the cores with the engine and PostgreSQL), counted in the latencies too.
   */
  sendLateness: number[];
}

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN;

/** Sends one command (for the i-th client, or the i-th arrival) and resolves with the whole answer. */
export type Command = (clientIndex: number) => Promise<Answer>;

const tally = (started: number) => {
  const latencies: number[] = [];
  const timeline: [number, number][] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let unsent = 0;
  let shed = 0;
  const sendLateness: number[] = [];
  return {
    latencies,
    sendLateness,
    skip: (count: number, reason: string): void => {
      errors += count;
      unsent += count;
      if (count && errorSamples.length < 5) errorSamples.push(`${count} × ${reason}`);
    },
    record: (answer: Answer | Error, expected: number, ms: number): void => {
      if (!(answer instanceof Error) && answer.status === expected) {
        latencies.push(ms);
        timeline.push([performance.now() - started, ms]);
        return;
      }
      errors++;
      const refused = !(answer instanceof Error) && answer.status === 503;
      if (refused) shed++;
      // One 503 is enough of a sample: under overload they would hide every other kind of failure.
      if (errorSamples.length < 5 && !(refused && shed > 1)) errorSamples.push(answer instanceof Error ? answer.message : `${answer.status} ${answer.body.slice(0, 200)}`);
    },
    result: (seconds: number): LoadResult => ({
      ok: latencies.length,
      errors,
      unsent,
      shed,
      errorSamples,
      seconds,
      latencies: latencies.sort((a, b) => a - b),
      timeline,
      sendLateness: sendLateness.sort((a, b) => a - b),
    }),
  };
};

/**
 * `clients` loops, each sending its next command when the previous one is answered, for `durationMs`. A client told
 * to retry after a while (503 with Retry-After) waits that long first, as a well-behaved client does: sent again at
 * once, the refusals alone kept the engine busy (290,000 in 60 s from 32 clients).
 */
export async function closedLoop(clients: number, durationMs: number, command: Command, expected: number): Promise<LoadResult> {
  const started = performance.now();
  const counts = tally(started);
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        const answer = await command(client).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
        counts.record(answer, expected, performance.now() - sent);
        const pause = answer instanceof Error || answer.status === expected ? undefined : answer.retryAfterSeconds;
        if (pause !== undefined) await sleep(Math.min(pause * 1000, Math.max(0, deadline - performance.now())));
      }
    }),
  );
  return counts.result((performance.now() - started) / 1000);
}

/**
 * `rate` commands a second for `durationMs`, each due at start + i / rate. More than `maxInFlight` unanswered
 * commands means the server cannot keep up: the rest of the step is not sent and counts as errors; with `keepGoing`
 * (a soak) only the commands due while it is so behind are not sent, and arrivals go on.
 */
export async function openLoop(rate: number, durationMs: number, command: Command, expected: number, maxInFlight: number, keepGoing = false): Promise<LoadResult> {
  const started = performance.now();
  const counts = tally(started);
  const total = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let dropped = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
    for (; sent < due; sent++) {
      if (inFlight.size >= maxInFlight && keepGoing) {
        dropped++;
        continue;
      }
      if (inFlight.size >= maxInFlight) break;
      const dueAt = started + sent * interval;
      const index = sent;
      counts.sendLateness.push(performance.now() - dueAt);
      const pending = command(index)
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))
        .then((answer) => counts.record(answer, expected, performance.now() - dueAt));
      inFlight.add(pending);
      void pending.finally(() => inFlight.delete(pending));
    }
    if (inFlight.size >= maxInFlight && !keepGoing) {
      counts.skip(total - sent, `not sent: more than ${maxInFlight} commands unanswered`);
      break;
    }
    const wait = started + sent * interval - performance.now();
    if (wait > 0) await new Promise((done) => setTimeout(done, wait));
  }
  counts.skip(dropped, `not sent: more than ${maxInFlight} commands unanswered`);
  await Promise.all(inFlight);
  return counts.result((performance.now() - started) / 1000);
}
