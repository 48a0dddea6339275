import type { AppendResult, Checkpoint, EventStore, ExpectedVersion, NewEvent, ReadAllResult, ReadStreamOptions, RecordedEvent, StreamAppend, SubscribeOptions } from './event-store.port';

/**
 * A store that changes events on their way in and on their way out (schema stamping and upcasting, encryption of
 * personal fields) and passes everything else to the store it wraps. Both hooks take whole batches, so a decorator
 * can fetch what it needs (keys, say) once per call rather than once per event.
 */
export abstract class EventStoreDecorator implements EventStore {
  constructor(readonly inner: EventStore) {}

  /** The events of each append as they are to be stored, in the same order. */
  protected abstract writing(appends: Pick<StreamAppend, 'streamId' | 'events'>[]): Promise<NewEvent[][]>;
  /** The events as readers are to see them, in the same order. */
  protected abstract reading(events: RecordedEvent[]): Promise<RecordedEvent[]>;

  async append(streamId: string, events: NewEvent[], options?: { expectedVersion?: ExpectedVersion }): Promise<AppendResult> {
    const [written] = await this.writing([{ streamId, events }]);
    return this.inner.append(streamId, written, options);
  }

  async appendBatch(appends: StreamAppend[]): Promise<void> {
    const written = await this.writing(appends);
    return this.inner.appendBatch(appends.map((append, i) => ({ ...append, events: written[i] })));
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.reading(await this.inner.readStream(streamId, options));
  }

  async readStreams(streamIds: string[]): Promise<Map<string, RecordedEvent[]>> {
    const histories = await this.inner.readStreams(streamIds);
    const read = await this.reading([...histories.values()].flat());
    let next = 0;
    for (const [streamId, events] of histories) {
      histories.set(streamId, read.slice(next, next + events.length));
      next += events.length;
    }
    return histories;
  }

  async readAll(after: Checkpoint, limit: number): Promise<ReadAllResult> {
    const result = await this.inner.readAll(after, limit);
    return { ...result, events: await this.reading(result.events) };
  }

  async *subscribe(after: Checkpoint, options?: SubscribeOptions): AsyncIterable<RecordedEvent[]> {
    for await (const batch of this.inner.subscribe(after, options)) yield await this.reading(batch);
  }

  lag(after: Checkpoint): Promise<{ events: number; oldestRecordedAt: string | null }> {
    return this.inner.lag(after);
  }

  checkpointOf(position: number): Promise<Checkpoint | null> {
    return this.inner.checkpointOf(position);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
