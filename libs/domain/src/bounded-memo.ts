/**
 * Remembers up to `limit` computed values, and starts afresh when full. The memos of parsed instants, local times and
 * zone names serve the repeats within one customer's schedule or one import's lines; a small bound keeps them from
 * filling with every customer that passes through a long-running engine (issue 14: a memo of 200,000 local times
 * held 47 MiB, and V8 lets its heap grow to a multiple of what stays live). A value of undefined is not remembered.
 */
export class BoundedMemo<V> {
  private readonly values = new Map<string, V>();

  constructor(private readonly limit: number) {}

  get(key: string, compute: (key: string) => V): V {
    let value = this.values.get(key);
    if (value === undefined) {
      value = compute(key);
      if (value === undefined) return value;
      if (this.values.size >= this.limit) this.values.clear();
      this.values.set(key, value);
    }
    return value;
  }

  get size(): number {
    return this.values.size;
  }
}
