import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { InvalidInput } from '../../../../libs/domain/src';
import { toErrorBody } from '../http/errors';
import { commandOf, isRejected, parseLine, type Line, type ParsedLine, type RejectedLine } from './import-line';

export interface ParsedBatch {
  parsed: ParsedLine[];
  rejected: RejectedLine[];
  lines: number;
}

/** What the parser thread sends back: the rejections, and which lines passed with their first event id. */
interface Verdicts {
  passed: number[];
  eventIds: string[];
  rejected: RejectedLine[];
}

const validateBatch = (lines: Line[]): Verdicts => {
  const verdicts: Verdicts = { passed: [], eventIds: [], rejected: [] };
  lines.forEach(({ line, text, error }, i) => {
    const result = error ? { line, ...toErrorBody(new InvalidInput('line', error)) } : parseLine(text, line);
    if (isRejected(result)) verdicts.rejected.push(result);
    else {
      verdicts.passed.push(i);
      verdicts.eventIds.push(result.eventId);
    }
  });
  return verdicts;
};

/** Validates in the calling thread: one parse per line. */
export const parseBatch = (lines: Line[]): ParsedBatch => {
  const batch: ParsedBatch = { parsed: [], rejected: [], lines: lines.length };
  for (const { line, text, error } of lines) {
    const result = error ? { line, ...toErrorBody(new InvalidInput('line', error)) } : parseLine(text, line);
    if (isRejected(result)) batch.rejected.push(result);
    else batch.parsed.push(result);
  }
  return batch;
};

// Sending parsed commands between threads (structured clone) costs more than parsing the JSON again.
const rebuild = (lines: Line[], { passed, eventIds, rejected }: Verdicts): ParsedBatch => ({
  parsed: passed.map((i, n) => commandOf(lines[i].text, lines[i].line, eventIds[n])),
  rejected,
  lines: lines.length,
});

export interface LineParser {
  parse(lines: Line[]): Promise<ParsedBatch>;
  close(): Promise<void>;
}

/**
 * Parsing (JSON and parseCustomerCommand) is a large share of an import's CPU: it runs on a worker thread, so the
 * main thread decides and writes one batch while the next is parsed. Under ts-node/jest (no compiled worker file)
 * it runs in the calling thread instead, with the same results.
 */
export function lineParser(): LineParser {
  const script = join(__dirname, 'line-parser.js');
  if (!existsSync(script)) return { parse: async (lines) => parseBatch(lines), close: async () => undefined };
  const worker = new Worker(script);
  worker.unref();
  const waiting = new Map<number, { resolve: (verdicts: Verdicts) => void; reject: (error: Error) => void }>();
  let next = 0;
  const failAll = (error: Error): void => {
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  worker.on('message', ({ id, verdicts }: { id: number; verdicts: Verdicts }) => {
    waiting.get(id)?.resolve(verdicts);
    waiting.delete(id);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`import line parser exited with code ${code}`)));
  return {
    parse: async (lines) => {
      const verdicts = await new Promise<Verdicts>((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, lines });
      });
      return rebuild(lines, verdicts);
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', ({ id, lines }: { id: number; lines: Line[] }) => port.postMessage({ id, verdicts: validateBatch(lines) }));
}
