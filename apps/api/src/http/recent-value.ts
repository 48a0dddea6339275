/**
 * A value read from the database, kept for `freshMs` and then refreshed by one query at a time while callers get the
 * last one, up to `staleMs` old. /health answers from it (issue 15): with a database busy on a long catch-up, a probe
 * that waited for its own queries took seconds (p99 3.7 s during a 2,000-booking customer's catch-up), and a liveness
 * probe that slow restarts a healthy engine. Past `staleMs`, or after a failed refresh, a caller waits for a fresh
 * read and sees its error, so a lost database still answers 503 at once.
 */
export class RecentValue<T> {
  private value: { at: number; value: T } | null = null;
  private refreshing: Promise<T> | null = null;
  private failed = false;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly freshMs = 1_000,
    private readonly staleMs = 10_000,
    private readonly now = (): number => performance.now(),
  ) {}

  get(): Promise<T> {
    const age = this.value ? this.now() - this.value.at : Infinity;
    if (age < this.freshMs) return Promise.resolve(this.value!.value);
    const refresh = this.refresh();
    return age < this.staleMs && !this.failed ? Promise.resolve(this.value!.value) : refresh;
  }

  private refresh(): Promise<T> {
    this.refreshing ??= this.read().then(
      (value) => {
        this.value = { at: this.now(), value };
        this.failed = false;
        this.refreshing = null;
        return value;
      },
      (error: unknown) => {
        this.failed = true;
        this.refreshing = null;
        throw error;
      },
    );
    // A refresh nobody waits for must not end as an unhandled rejection; its error reaches the next caller.
    this.refreshing.catch(() => undefined);
    return this.refreshing;
  }
}
