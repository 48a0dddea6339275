import type { Pool } from 'pg';
import { CUSTOMER_STREAM_PREFIX, personalFieldsOf } from '../../domain/src';
import type {
  AppendResult,
  Checkpoint,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllResult,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  SubscribeOptions,
} from '../../event-store/src';
import { CustomerKeys } from './customer-keys';
import { isSealed, open, personalFieldsIn, seal } from './personal-envelope';

const customerOf = (streamId: string): string | undefined =>
  streamId.startsWith(CUSTOMER_STREAM_PREFIX) ? streamId.slice(CUSTOMER_STREAM_PREFIX.length) : undefined;

/** Whether reading the event needs its customer's key: it is sealed, or holds personal fields in plain text. */
const needsKey = (event: RecordedEvent): boolean =>
  isSealed(event.data) || personalFieldsOf(event.type).some((name) => event.data[name] !== undefined);

/**
 * The log with the personal fields of customer events encrypted under each customer's data key (personal-envelope.ts).
 * Appends seal them; every read opens them, or shows them erased once the customer is forgotten. Keys are fetched once
 * per call or batch, not per event. Events without personal fields and streams of no customer pass through untouched.
 *
 * It sits below SchemaAwareEventStore: schemas and upcasters see plain text, and the log (and anything that checks
 * it as stored, such as a hash chain) sees ciphertext.
 */
export class EncryptingEventStore implements EventStore {
  readonly keys: CustomerKeys;

  constructor(
    readonly inner: EventStore,
    keys: Pool | CustomerKeys,
  ) {
    this.keys = keys instanceof CustomerKeys ? keys : new CustomerKeys(keys);
  }

  async append(streamId: string, events: NewEvent[], options?: { expectedVersion?: ExpectedVersion }): Promise<AppendResult> {
    const [sealed] = await this.seal([{ streamId, events }]);
    return this.inner.append(streamId, sealed, options);
  }

  async appendBatch(appends: StreamAppend[]): Promise<void> {
    const sealed = await this.seal(appends);
    return this.inner.appendBatch(appends.map((append, i) => ({ ...append, events: sealed[i] })));
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.open(await this.inner.readStream(streamId, options));
  }

  async readStreams(streamIds: string[]): Promise<Map<string, RecordedEvent[]>> {
    const histories = await this.inner.readStreams(streamIds);
    const opened = await this.open([...histories.values()].flat());
    let next = 0;
    for (const [streamId, events] of histories) {
      histories.set(streamId, opened.slice(next, next + events.length));
      next += events.length;
    }
    return histories;
  }

  async readAll(after: Checkpoint, limit: number): Promise<ReadAllResult> {
    const result = await this.inner.readAll(after, limit);
    return { ...result, events: await this.open(result.events) };
  }

  async *subscribe(after: Checkpoint, options?: SubscribeOptions): AsyncIterable<RecordedEvent[]> {
    for await (const batch of this.inner.subscribe(after, options)) yield await this.open(batch);
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

  /** The events of each append with their personal fields sealed; the keys of all their customers in one query. */
  private async seal(appends: Pick<StreamAppend, 'streamId' | 'events'>[]): Promise<NewEvent[][]> {
    const customers = appends
      .filter((append) => append.events.some((event) => personalFieldsIn(event.type, event.data).length > 0))
      .map((append) => customerOf(append.streamId))
      .filter((customerId): customerId is string => customerId !== undefined);
    if (!customers.length) return appends.map((append) => append.events);
    const keys = await this.keys.getOrCreate(customers);
    return appends.map(({ streamId, events }) => {
      const customerId = customerOf(streamId);
      const key = customerId === undefined ? undefined : keys.get(customerId);
      return key ? events.map((event) => ({ ...event, data: seal(event.type, event.eventId, event.data, key) })) : events;
    });
  }

  private async open(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    const customers = new Set<string>();
    for (const event of events) {
      const customerId = customerOf(event.streamId);
      if (customerId !== undefined && needsKey(event)) customers.add(customerId);
    }
    if (!customers.size) return events;
    const keys = await this.keys.load([...customers]);
    return events.map((event) => {
      const customerId = customerOf(event.streamId);
      if (customerId === undefined || !needsKey(event)) return event;
      const data = open(event.type, event.eventId, event.data, keys.get(customerId));
      return data === event.data ? event : { ...event, data };
    });
  }
}
