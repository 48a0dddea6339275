import type { Pool } from 'pg';
import { CUSTOMER_STREAM_PREFIX, personalFieldsOf } from '../../domain/src';
import { EventStoreDecorator, type EventStore, type NewEvent, type RecordedEvent, type StreamAppend } from '../../event-store/src';
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
export class EncryptingEventStore extends EventStoreDecorator {
  readonly keys: CustomerKeys;

  constructor(inner: EventStore, keys: Pool | CustomerKeys) {
    super(inner);
    this.keys = keys instanceof CustomerKeys ? keys : new CustomerKeys(keys);
  }

  /** The events of each append with their personal fields sealed; the keys of all their customers in one query. */
  protected async writing(appends: Pick<StreamAppend, 'streamId' | 'events'>[]): Promise<NewEvent[][]> {
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

  protected async reading(events: RecordedEvent[]): Promise<RecordedEvent[]> {
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
