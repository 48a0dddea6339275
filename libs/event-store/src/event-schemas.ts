import { EventStoreDecorator } from './event-store-decorator';
import type { EventStore, NewEvent, RecordedEvent, StreamAppend } from './event-store.port';

/** Turns the data of one schema version into the next version's shape. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * Which event types a build knows, the version it writes each one with, and how to bring older versions up to
 * date: `upcasters[type][n]` turns version n into version n + 1.
 */
export interface EventSchemas {
  current: Readonly<Record<string, number>>;
  upcasters: Readonly<Record<string, Readonly<Record<number, Upcaster>>>>;
}

/** An event this build cannot read: an unknown type, or a version it has no upcaster for (or a newer build wrote). */
export class UnknownEventSchema extends Error {
  constructor(event: Pick<RecordedEvent, 'eventId' | 'type' | 'schemaVersion' | 'streamId' | 'streamPosition' | 'globalPosition'>, reason: string) {
    super(
      `cannot read event ${event.eventId} at global position ${event.globalPosition} (stream ${event.streamId}, position ${event.streamPosition}): ` +
        `type "${event.type}" schema version ${event.schemaVersion}: ${reason}`,
    );
  }
}

/** The current shape of a stored event. Stored events are never rewritten; every reader gets this view. */
export function upcast(schemas: EventSchemas, event: RecordedEvent): RecordedEvent {
  const current = Object.hasOwn(schemas.current, event.type) ? schemas.current[event.type] : undefined;
  if (current === undefined) throw new UnknownEventSchema(event, 'unknown event type');
  if (event.schemaVersion === current) return event;
  if (!Number.isInteger(event.schemaVersion) || event.schemaVersion < 1 || event.schemaVersion > current) {
    throw new UnknownEventSchema(event, `unknown version (this build reads 1 to ${current})`);
  }
  let data = event.data;
  for (let version = event.schemaVersion; version < current; version++) {
    const step = schemas.upcasters[event.type]?.[version];
    if (!step) throw new UnknownEventSchema(event, `no upcaster from version ${version} to ${version + 1}`);
    data = step(data);
  }
  return { ...event, schemaVersion: current, data, metadata: { ...event.metadata, schemaVersion: current } };
}

/**
 * The store as the application sees it: appends are stamped with the current schema version of their type
 * (an unknown type is refused before anything is written), and every read returns the current shape.
 */
export class SchemaAwareEventStore extends EventStoreDecorator {
  constructor(
    inner: EventStore,
    private readonly schemas: EventSchemas,
  ) {
    super(inner);
  }

  protected async writing(appends: Pick<StreamAppend, 'streamId' | 'events'>[]): Promise<NewEvent[][]> {
    return appends.map((append) => append.events.map(this.stamp));
  }

  protected async reading(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    return events.map(this.read);
  }

  private readonly read = (event: RecordedEvent): RecordedEvent => upcast(this.schemas, event);

  /** Stamped metadata per original metadata object and version: a bulk import shares one object across its events. */
  private readonly stamped = new WeakMap<object, Map<number, NewEvent['metadata']>>();

  private readonly stamp = (event: NewEvent): NewEvent => {
    const version = Object.hasOwn(this.schemas.current, event.type) ? this.schemas.current[event.type] : undefined;
    if (version === undefined) throw new Error(`cannot write event ${event.eventId}: unknown event type "${event.type}"`);
    if (event.metadata.schemaVersion === version) return event;
    let versions = this.stamped.get(event.metadata);
    if (!versions) this.stamped.set(event.metadata, (versions = new Map()));
    let metadata = versions.get(version);
    if (!metadata) versions.set(version, (metadata = { ...event.metadata, schemaVersion: version }));
    return { ...event, metadata };
  };
}


