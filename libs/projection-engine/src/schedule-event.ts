import { uuidFrom, type NewEvent } from '../../event-store/src';

const SYSTEM_METADATA = { actor: { id: 'engine', role: 'system' }, source: 'system', schemaVersion: 1 };

/**
 * An event of recorded work (RecordedWork) in an engine-schedule stream: its id follows from its stream, type and
 * key, so appending it again, after a crash between the work's commit and its append, changes nothing.
 */
export const scheduleEvent = (stream: string, type: string, key: string | number, data: Record<string, unknown>, occurredAt: string): NewEvent => {
  const eventId = uuidFrom(`${stream}:${type}:${key}`);
  return { eventId, type, data, metadata: { correlationId: eventId, causationId: eventId, ...SYSTEM_METADATA }, occurredAt };
};
