import { DatabaseError, Pool, type PoolConfig } from 'pg';
import {
  DuplicateEventId,
  UnstorableEvent,
  WrongExpectedVersion,
  checkExpectedVersion,
  versionConflicts,
  parseCheckpoint,
  type AppendResult,
  type Checkpoint,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
} from '../event-store.port';
import { copyInto, copyText, inTransaction, migrate } from '../../../postgres/src';
import { EVENT_STORE_MIGRATIONS, EVENT_STORE_ROUTINES } from './event-store.migrations';
import { AppendNotifier } from './append-notifier';
import { READ_FENCE } from './not-appending';
import { subscribeByPolling } from '../subscribe';
import { EVENT_ROW_TYPES } from './iso-instant';

// The transaction id goes out as text under another name: an output column named transaction_id would
// shadow the xid8 column in ORDER BY and sort the log as text ('1000' before '755'), skipping events.
const COLUMNS = `global_position, stream_id, stream_position, event_id, type, schema_version, data, metadata,
  occurred_at, recorded_at, transaction_id::text AS txid`;

interface EventRow {
  global_position: string;
  stream_id: string;
  stream_position: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: RecordedEvent['metadata'];
  occurred_at: string;
  recorded_at: string;
  txid: string;
}

const toRecorded = (row: EventRow): RecordedEvent => ({
  eventId: row.event_id,
  streamId: row.stream_id,
  streamPosition: Number(row.stream_position),
  globalPosition: Number(row.global_position),
  type: row.type,
  schemaVersion: row.schema_version,
  data: row.data,
  // The append functions store the event id in the metadata; only rows written otherwise need a copy with it.
  metadata: row.metadata.eventId === row.event_id ? row.metadata : { ...row.metadata, eventId: row.event_id },
  occurredAt: row.occurred_at,
  recordedAt: row.recorded_at,
  checkpoint: `${row.txid}:${row.global_position}`,
});

/** Almost every command appends one event: plain parameters skip building and unpacking a jsonb array. */
const appendOne = (streamId: string, expected: ExpectedVersion, event: NewEvent) => ({
  name: 'event_store_append_one',
  text: 'SELECT stream_version, last_position, written FROM event_store.append_event($1, $2, $3, $4, $5, $6, $7, $8)',
  values: [
    streamId,
    String(expected),
    event.eventId,
    event.type,
    event.metadata.schemaVersion,
    JSON.stringify(event.data),
    JSON.stringify({ ...event.metadata, eventId: event.eventId }),
    event.occurredAt,
  ],
});

const appendMany = (streamId: string, expected: ExpectedVersion, events: NewEvent[]) => ({
  name: 'event_store_append',
  text: 'SELECT stream_version, last_position, written FROM event_store.append_events($1, $2, $3)',
  values: [
    streamId,
    String(expected),
    JSON.stringify(
      events.map((event) => ({
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.metadata.schemaVersion,
        data: event.data,
        metadata: { ...event.metadata, eventId: event.eventId },
        occurredAt: event.occurredAt,
      })),
    ),
  ],
});

// Several streams at once: one index probe per stream, whatever the statistics say. Planned while the log was
// empty (as at the start of an import), "stream_id = ANY(...)" became a scan of the whole table for every batch.
export const STREAM_VERSIONS_SQL = `SELECT s.id AS stream_id, (SELECT max(e.stream_position) FROM event_store.events e WHERE e.stream_id = s.id) AS version
  FROM unnest($1::text[]) AS s(id)`;
export const READ_STREAMS_SQL = `SELECT e.* FROM unnest($1::text[]) AS s(id)
  CROSS JOIN LATERAL (SELECT ${COLUMNS} FROM event_store.events WHERE stream_id = s.id ORDER BY stream_position) e`;

// An import stamps one metadata object on thousands of events: its JSON is made once, the event id spliced in.
const metadataJson = new WeakMap<object, string>();
const metadataText = (event: NewEvent): string => {
  let head = metadataJson.get(event.metadata);
  if (head === undefined) {
    head = JSON.stringify({ ...event.metadata, eventId: '' }).slice(0, -3);
    metadataJson.set(event.metadata, head);
  }
  return `${head}${JSON.stringify(event.eventId)}}`;
};

const copyRow = (streamId: string, position: number, event: NewEvent): string =>
  `${copyText(streamId)}\t${position}\t${copyText(event.eventId)}\t${copyText(event.type)}\t${event.metadata.schemaVersion}\t` +
  `${copyText(JSON.stringify(event.data))}\t${copyText(metadataText(event))}\t${copyText(event.occurredAt)}\n`;

function* copyRows(appends: StreamAppend[], starts: number[]): Generator<string> {
  for (let i = 0; i < appends.length; i++) {
    const { streamId, events } = appends[i];
    for (let j = 0; j < events.length; j++) yield copyRow(streamId, starts[i] + j + 1, events[j]);
  }
}

export class PostgresEventStore implements EventStore {
  readonly pool: Pool;
  private readonly notifier: AppendNotifier;

  constructor(config: PoolConfig | Pool) {
    this.pool = config instanceof Pool ? config : new Pool({ max: 10, ...config }).on('error', () => undefined);
    this.notifier = new AppendNotifier(this.pool);
  }

  /** Creates or upgrades the schema and (re)installs the append functions; safe to run twice and from concurrent processes. */
  async migrate(): Promise<void> {
    await migrate(this.pool, 'event_store', EVENT_STORE_MIGRATIONS, EVENT_STORE_ROUTINES);
  }

  async append(streamId: string, events: NewEvent[], options: { expectedVersion?: ExpectedVersion } = {}): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const expected = options.expectedVersion ?? 'any';
    checkExpectedVersion(expected);
    const query = events.length === 1 ? appendOne(streamId, expected, events[0]) : appendMany(streamId, expected, events);
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await this.pool.query<{ stream_version: string; last_position: string; written: boolean }>(query);
        const result = { version: Number(rows[0].stream_version), position: Number(rows[0].last_position), written: rows[0].written };
        if (result.written) this.notifier.announce();
        return result;
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error;
        if (error.code === 'ES001') throw new WrongExpectedVersion(streamId, expected, Number(error.detail));
        if (error.code === 'ES002') throw new DuplicateEventId(error.detail || events[0].eventId);
        // The same event id raced in through another stream's append: look again, now it is committed.
        if (error.code === '23505' && error.constraint === 'events_event_id_key' && attempt === 0) continue;
        if (error.code === '23505' && error.constraint === 'events_event_id_key') throw new DuplicateEventId(events[0].eventId);
        // Invalid text representation, unsupported Unicode escape (NUL in jsonb), invalid byte sequence.
        if (['22P02', '22P05', '22021', '22007', '22008'].includes(error.code ?? '')) {
          throw new UnstorableEvent(`event cannot be stored: ${error.message}`, { cause: error });
        }
        throw error;
      }
    }
  }

  /**
   * One transaction: the versions are checked in one query, every row goes through COPY into the session's staging
   * table, and one call links them into their streams' chains and the log (the global chain is sealed after commit). A writer that slips in between loses or wins on
   * the (stream_id, stream_position) key, and the loser's whole batch rolls back.
   */
  async appendBatch(appends: StreamAppend[]): Promise<void> {
    if (appends.length === 0) return;
    appends.forEach(({ expectedVersion }) => checkExpectedVersion(expectedVersion));
    try {
      await inTransaction(this.pool, async (client) => {
        const { rows } = await client.query<{ stream_id: string; version: string | null }>(STREAM_VERSIONS_SQL, [appends.map((append) => append.streamId)]);
        const versions = new Map(rows.map((row) => [row.stream_id, Number(row.version ?? 0)]));
        const starts = appends.map(({ streamId, expectedVersion: expected, events }) => {
          const current = versions.get(streamId) ?? 0;
          if (versionConflicts(expected, current)) throw new WrongExpectedVersion(streamId, expected, current);
          versions.set(streamId, current + events.length);
          return current;
        });
        // After the versions are read: a session's first call creates the staging table, which draws the transaction id.
        await client.query('SELECT event_store.open_staging()');
        await copyInto(
          client,
          'COPY pg_temp.event_store_staged (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at) FROM STDIN',
          copyRows(appends, starts),
        );
        await client.query('SELECT event_store.append_staged()');
      });
    } catch (error) {
      throw await this.batchError(error, appends);
    }
    this.notifier.announce();
  }

  private async batchError(error: unknown, appends: StreamAppend[]): Promise<unknown> {
    if (!(error instanceof DatabaseError)) return error;
    const key = /^Key \((.+)\)=\((.+)\) already exists/.exec(error.detail ?? '');
    if (error.code === '23505' && error.constraint === 'events_event_id_key') return new DuplicateEventId(key?.[2] ?? 'unknown');
    if (error.code === '23505' && key) {
      const streamId = key[2].replace(/, \d+$/, '');
      const stored = await this.readStream(streamId, { direction: 'backward', limit: 1 });
      const expected = appends.find((append) => append.streamId === streamId)?.expectedVersion ?? 'any';
      return new WrongExpectedVersion(streamId, expected, stored[0]?.streamPosition ?? 0);
    }
    if (['22P02', '22P05', '22021', '22007', '22008'].includes(error.code ?? '')) {
      return new UnstorableEvent(`event cannot be stored: ${error.message}`, { cause: error });
    }
    return error;
  }

  async readStreams(streamIds: string[]): Promise<Map<string, RecordedEvent[]>> {
    const { rows } = await this.pool.query<EventRow>({ text: READ_STREAMS_SQL, values: [streamIds], types: EVENT_ROW_TYPES });
    const histories = new Map<string, RecordedEvent[]>();
    for (const row of rows) {
      const history = histories.get(row.stream_id) ?? [];
      history.push(toRecorded(row));
      histories.set(row.stream_id, history);
    }
    return histories;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const direction = options.direction === 'backward' ? 'DESC' : 'ASC';
    const { rows } = await this.pool.query<EventRow>({
      text: `SELECT ${COLUMNS} FROM event_store.events
              WHERE stream_id = $1
                AND stream_position >= $2 AND stream_position <= $3
                AND ($4::timestamptz IS NULL OR occurred_at <= $4::timestamptz)
              ORDER BY stream_position ${direction}
              LIMIT $5`,
      values: [streamId, options.fromPosition ?? 0, options.toPosition ?? Number.MAX_SAFE_INTEGER, options.occurredUntil ?? null, options.limit ?? null],
      types: EVENT_ROW_TYPES,
    });
    return rows.map(toRecorded);
  }

  async readAll(after: Checkpoint, limit: number): Promise<ReadAllResult> {
    const { transactionId, position } = parseCheckpoint(after);
    const { rows } = await this.pool.query<EventRow>({
      name: 'event_store_read_all',
      text: `SELECT ${COLUMNS} FROM event_store.events
              WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
                AND transaction_id < ${READ_FENCE}
              ORDER BY transaction_id, global_position
              LIMIT $3`,
      values: [transactionId, position, limit],
      types: EVENT_ROW_TYPES,
    });
    const events = rows.map(toRecorded);
    return { events, checkpoint: events.length ? events[events.length - 1].checkpoint : after };
  }

  subscribe(after: Checkpoint, options: SubscribeOptions = {}): AsyncIterable<RecordedEvent[]> {
    return subscribeByPolling(this, after, (listener) => this.notifier.onAppended(listener), options);
  }

  async lag(after: Checkpoint): Promise<{ events: number; oldestRecordedAt: string | null }> {
    const { transactionId, position } = parseCheckpoint(after);
    const { rows } = await this.pool.query<{ events: string; oldest: Date | null }>(
      `SELECT count(*) AS events, min(recorded_at) AS oldest FROM event_store.events
        WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)`,
      [transactionId, position],
    );
    return { events: Number(rows[0].events), oldestRecordedAt: rows[0].oldest?.toISOString() ?? null };
  }

  async checkpointOf(position: number): Promise<Checkpoint | null> {
    const { rows } = await this.pool.query<{ transaction_id: string }>(
      'SELECT transaction_id::text AS transaction_id FROM event_store.events WHERE global_position = $1',
      [position],
    );
    return rows.length ? `${rows[0].transaction_id}:${position}` : null;
  }

  async close(): Promise<void> {
    await this.notifier.close();
    await this.pool.end();
  }
}
