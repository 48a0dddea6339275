/**
 * Remembers up to `limit` computed values, and starts afresh when full. The memos of parsed instants, local times and
 * zone names serve the repeats within one customer's schedule or one import's lines; a small bound keeps them from
 * filling with every customer that passes through a long-running engine (issue 14: a memo of 200,000 local times
 * held 47 MiB, and V8 lets its heap grow to a multiple of what stays live). A value of undefined is not remembered.
 */
export class BoundedMemo<V, K = string> {
  private readonly values = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K, compute: (key: K) => V): V {
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

/**
 * The same for values by a group and a number (a time zone and an instant, say), up to `limit` in all: a key made
 * of the group's name and the number as text cost more than the lookup (zoned-time's memos, asked some 30 times a
 * customer by a schedule: 1.09 s of a schedule thread's 9 s in a rebuild of touchpoints, 0.82 s keyed this way).
 */
export class GroupedMemo<V> {
  private readonly groups = new Map<string, Map<number, V>>();
  private count = 0;

  constructor(private readonly limit: number) {}

  get(group: string, key: number, compute: () => V): V {
    let values = this.groups.get(group);
    let value = values?.get(key);
    if (value === undefined) {
      value = compute();
      if (value === undefined) return value;
      if (this.count >= this.limit) {
        this.groups.clear();
        this.count = 0;
        values = undefined;
      }
      if (!values) this.groups.set(group, (values = new Map()));
      values.set(key, value);
      this.count++;
    }
    return value;
  }

  get size(): number {
    return this.count;
  }
}
