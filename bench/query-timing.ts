/**
 * Timing a piece of work from outside by its queries: a pool whose clients mark when each query starts and ends (a
 * COPY when its stream finished), and what ran in between, which is JavaScript.
 */
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';


export interface Mark {
  label: string;
  start: number;
  end: number;
}

const labelOf = (query: unknown): string => {
  const sql = typeof query === 'string' ? query : String((query as { text?: unknown }).text ?? '?');
  return sql.replace(/\s+/g, ' ').replace(/to_char\((\w+) AT TIME ZONE[^)]*\)/g, '$1').trim().slice(0, 70);
};

export function timedPool(pool: Pool, marks: Mark[]): Pool {
  const connect = async (): Promise<unknown> => {
    const client = await pool.connect();
    return new Proxy(client, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        if (property !== 'query') return value.bind(target);
        return (...args: unknown[]): unknown => {
          const mark: Mark = { label: labelOf(args[0]), start: performance.now(), end: Number.NaN };
          marks.push(mark);
          const done = (): void => void (mark.end = performance.now());
          const result = (value as (...a: unknown[]) => unknown).apply(target, args) as { then?: unknown; once?: unknown };
          if (typeof result?.then === 'function') (result as Promise<unknown>).then(done, done);
          else if (typeof result?.once === 'function') (result as NodeJS.EventEmitter).once('finish', done);
          return result;
        };
      },
    });
  };
  return { connect } as unknown as Pool;
}

/** Per query: its own time, and the JavaScript that ran after it returned until the next query. */
export const phasesOf = (marks: Mark[]): { label: string; queryMs: number; afterMs: number }[] =>
  marks.map((mark, i) => ({ label: mark.label, queryMs: mark.end - mark.start, afterMs: i + 1 < marks.length ? marks[i + 1].start - mark.end : 0 }));
