import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { InvalidInput } from '../../../../libs/domain/src';
import { toErrorBody } from '../http/errors';
import { isRejected, parseLine, type ParsedLine, type RejectedLine } from './import-line';
import type { Line } from './importer';

export interface ParsedBatch {
  parsed: ParsedLine[];
  rejected: RejectedLine[];
  lines: number;
}

export const parseBatch = (lines: Line[]): ParsedBatch => {
  const batch: ParsedBatch = { parsed: [], rejected: [], lines: lines.length };
  for (const { line, text, error } of lines) {
    const result = error ? { line, ...toErrorBody(new InvalidInput('line', error)) } : parseLine(text, line);
    if (isRejected(result)) batch.rejected.push(result);
    else batch.parsed.push(result);
  }
  return batch;
};

export interface LineParser {
  parse(lines: Line[]): Promise<ParsedBatch>;
  close(): Promise<void>;
}

/**
 * Validation (class-validator) is most of an import's CPU: it runs on a worker thread, so the main thread
 * decides and writes one batch while the next is validated. Under ts-node/jest (no compiled worker file) it
 * runs in the calling thread instead, with the same results.
 */
export function lineParser(): LineParser {
  const script = join(__dirname, 'line-parser.js');
  if (!existsSync(script)) return { parse: async (lines) => parseBatch(lines), close: async () => undefined };
  const worker = new Worker(script);
  worker.unref();
  const waiting = new Map<number, { resolve: (batch: ParsedBatch) => void; reject: (error: Error) => void }>();
  let next = 0;
  const failAll = (error: Error): void => {
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  worker.on('message', ({ id, batch }: { id: number; batch: ParsedBatch }) => {
    waiting.get(id)?.resolve(batch);
    waiting.delete(id);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`import line parser exited with code ${code}`)));
  return {
    parse: (lines) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, lines });
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', ({ id, lines }: { id: number; lines: Line[] }) => port.postMessage({ id, batch: parseBatch(lines) }));
}
