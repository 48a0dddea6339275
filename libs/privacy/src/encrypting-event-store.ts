import type { Pool } from 'pg';
import { CUSTOMER_STREAM_PREFIX, personalFieldsOf } from '../../domain/src';
import {
  EventStoreDecorator,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
} from '../../event-store/src';
import { CustomerKeys, type DataKey } from './customer-keys';
import { isSealed, open, personalFieldsIn, seal } from './personal-envelope';

const customerOf = (streamId: string): string | undefined =>
  streamId.startsWith(CUSTOMER_STREAM_PREFIX) ? streamId.slice(CUSTOMER_STREAM_PREFIX.length) : undefined;

/** Whether reading the event needs its customer's key: it is sealed, or holds personal fields in plain text. */
const needsKey = (event: RecordedEvent): boolean =>
  isSealed(event.data) || personalFieldsOf(event.type).some((name) => event.data[name] !== undefined);

const hasPersonalData = (events: readonly NewEvent[]): boolean => events.some((event) => personalFieldsIn(event.type, event.data).length > 0);

/**
 * How long the key found by a whole-stream read waits for the append that decides on it (a command's read, fold,
 * decide, append takes milliseconds; a retry reads again). Past it, or at any other version, the append asks the table.
 */
const READ_KEY_MS = 1000;

/**
 * The log with the personal fields of customer events encrypted under each customer's data key (personal-envelope.ts).
 * Appends seal them; every read opens them, or shows them erased once the customer is forgotten. Keys are fetched once
 * per call or batch, not per event. Events without personal fields and streams of no customer pass through untouched.
 *
 * It sits below SchemaAwareEventStore: schemas and upcasters see plain text, and the log (and anything that checks
 * it as stored, such as a hash chain) sees ciphertext.
 *
 * A command's round trips (docs/architecture.md): reading a customer's stream asks for the key at the same time, not
 * after the events arrive; and the append that follows at the version read seals with that key instead of asking
 * again (getOrCreate). That key is used for nothing else, never to decrypt: each read still fetches its keys, so a
 * key destroyed by another process is never read with. Sealing with a key destroyed in between is the same outcome
 * as a getOrCreate that ran just before the forget: the value reads as erased.
 */
export class EncryptingEventStore extends EventStoreDecorator {
  readonly keys: CustomerKeys;
  /** Per stream: the version a whole-stream read found and the key it found with it, oldest read first. */
  private readonly readKeys = new Map<string, { version: number; key: Buffer; at: number }>();

  constructor(inner: EventStore, keys: Pool | CustomerKeys) {
    super(inner);
    this.keys = keys instanceof CustomerKeys ? keys : new CustomerKeys(keys);
  }

  override async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const customerId = customerOf(streamId);
    if (customerId === undefined) return super.readStream(streamId, options);
    // Speculative: almost every customer stream starts with a registration that holds personal data.
    const [events, keys] = await Promise.all([this.inner.readStream(streamId, options), this.keys.load([customerId])]);
    const key = keys.get(customerId);
    if (options === undefined && key) this.rememberKey(streamId, events.length ? events[events.length - 1].streamPosition : 0, key);
    return this.opened(events, keys);
  }

  override async append(streamId: string, events: NewEvent[], options?: { expectedVersion?: ExpectedVersion }): Promise<AppendResult> {
    const read = this.readKeys.get(streamId);
    this.readKeys.delete(streamId);
    const fresh = read !== undefined && read.version === options?.expectedVersion && performance.now() - read.at < READ_KEY_MS;
    if (!fresh || !hasPersonalData(events)) return super.append(streamId, events, options);
    return this.inner.append(streamId, this.sealed(events, read.key), options);
  }

  /** The events of each append with their personal fields sealed; the keys of all their customers in one query. */
  protected async writing(appends: Pick<StreamAppend, 'streamId' | 'events'>[]): Promise<NewEvent[][]> {
    const customers = appends
      .filter((append) => hasPersonalData(append.events))
      .map((append) => customerOf(append.streamId))
      .filter((customerId): customerId is string => customerId !== undefined);
    if (!customers.length) return appends.map((append) => append.events);
    const keys = await this.keys.getOrCreate(customers);
    return appends.map(({ streamId, events }) => {
      const customerId = customerOf(streamId);
      const key = customerId === undefined ? undefined : keys.get(customerId);
      return key ? this.sealed(events, key) : events;
    });
  }

  protected async reading(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    const customers = new Set<string>();
    for (const event of events) {
      const customerId = customerOf(event.streamId);
      if (customerId !== undefined && needsKey(event)) customers.add(customerId);
    }
    if (!customers.size) return events;
    return this.opened(events, await this.keys.load([...customers]));
  }

  private sealed(events: NewEvent[], key: Buffer): NewEvent[] {
    return events.map((event) => ({ ...event, data: seal(event.type, event.eventId, event.data, key) }));
  }

  private opened(events: RecordedEvent[], keys: Map<string, DataKey>): RecordedEvent[] {
    return events.map((event) => {
      const customerId = customerOf(event.streamId);
      if (customerId === undefined || !needsKey(event)) return event;
      const data = open(event.type, event.eventId, event.data, keys.get(customerId));
      return data === event.data ? event : { ...event, data };
    });
  }

  private rememberKey(streamId: string, version: number, key: Buffer): void {
    const now = performance.now();
    // Insertion order is age order: entries of reads no append followed (a whole-stream read outside a command, rare:
    // the history and state endpoints read with options) are dropped from the front at the next read.
    for (const [stream, read] of this.readKeys) {
      if (now - read.at < READ_KEY_MS) break;
      this.readKeys.delete(stream);
    }
    this.readKeys.delete(streamId);
    this.readKeys.set(streamId, { version, key, at: now });
  }
}
