import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { Pool } from 'pg';
import { CUSTOMER_EVENT_SCHEMAS, ENGINE_STREAM_PREFIXES } from '../../../libs/domain/src';
import { EventStoreDecorator, KeyedQueue, PostgresEventStore, SchemaAwareEventStore, Sealer, type EventStore } from '../../../libs/event-store/src';
import { DatabaseAvailability, isConnectionFault, messageOf, openDatabase, type Database } from '../../../libs/postgres/src';
import { Projector, poll, processLeads } from '../../../libs/projection-engine/src';
import { projections } from '../../../projections';
import { runCampaignEntrants as campaignEntrants } from '../../../projections/campaigns/campaign-schedule';
import { runChurnSchedule as churnSchedule } from '../../../projections/churn/churn-schedule';
import { runSegmentSchedule as schedule } from '../../../projections/segments/segment-schedule';
import { missingCurrencyRates } from '../../../projections/segments/segments.queries';
import { loadChurnConfig, type ChurnConfig } from '../../../libs/churn/src';
import { loadTouchpointConfig, type TouchpointConfig } from '../../../libs/touchpoints/src';
import { loadSegmentConfig, type SegmentConfig } from '../../../libs/segments/src';
import { ConfigFileError } from '../../../libs/config/src';
import { EncryptingEventStore, type CustomerKeys } from '../../../libs/privacy/src';
import { ConfigError, type Config } from './config';

/**
 * How far V8 lets the heap grow past what stayed live after a full collection (issue 14), set before the process
 * starts its work. V8's own factor goes up to 4x on a machine with much memory: under a steady load the engine's RSS
 * followed its heap limit up by 60-80 MiB while what stayed live was about 40 MiB. A fixed factor costs a few more
 * full collections and keeps the footprint flat (bench/RESULTS.md). V8 reads the flag at each collection.
 */
export function limitHeapGrowth(config: Pick<Config, 'heapGrowthPercent'>): void {
  if (config.heapGrowthPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.heapGrowthPercent}`);
}

/** The long-lived pieces every app shares: the database, the event store, the read-model pool and the projector. */
export interface Runtime {
  config: Config;
  database: Database;
  /** Up, or down since when and why: the API answers 503 from it at once, the loops wait on it. */
  availability: DatabaseAvailability;
  store: EventStore;
  /** Where this process's commands for one stream take turns (handleCommand's queue), bounded by the config. */
  commandQueue: KeyedQueue;
  readModels: Pool;
  projector: Projector;
  /** The global chain's sealer, with the PostgreSQL log (EventStoreDB keeps no hash chain). */
  sealer: Sealer | null;
  /** The segment definitions, checked at start. */
  segments: SegmentConfig;
  /** The churn model and risk-score settings, checked at start. */
  churn: ChurnConfig;
  /** The touchpoint rules, checked at start. */
  touchpoints: TouchpointConfig;
  close(): Promise<void>;
}

/** A config file's problems stop the start like any other configuration error. */
const configFile = <T>(load: () => T): T => {
  try {
    return load();
  } catch (error) {
    throw error instanceof ConfigFileError ? new ConfigError(error.message) : error;
  }
};

/** The adapter under the engine's layers. */
const eventLog = (store: EventStore | undefined): EventStore | undefined => {
  let log = store;
  while (log instanceof EventStoreDecorator) log = log.inner;
  return log;
};

/** The log in PostgreSQL (on the read models' pool) or in EventStoreDB; either way read models stay in PostgreSQL. */
async function openEventLog(config: Config, pool: Pool, log: (line: string) => void): Promise<EventStore> {
  if (config.eventStore === 'postgres') {
    const store = new PostgresEventStore(pool);
    await store.migrate();
    return store;
  }
  // Loaded only here, so the PostgreSQL path never loads @eventstore/db-client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EventStoreDbEventStore } = require('../../../libs/event-store/src/eventstoredb') as typeof import('../../../libs/event-store/src/eventstoredb');
  const store = new EventStoreDbEventStore({ connectionString: config.eventStoreConnectionString!, streamPrefixes: [...ENGINE_STREAM_PREFIXES], log });
  try {
    await store.ping();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw new Error(`EventStoreDB at EVENTSTORE_CONNECTION_STRING did not answer a read of $all: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  log('event log: EventStoreDB (EVENTSTORE_CONNECTION_STRING); read models and projection checkpoints: PostgreSQL');
  return store;
}

/**
 * The store every part of the engine works with, over whichever log: every reader (command handlers, projections,
 * history, exports) sees events in their current schema, with the personal fields decrypted, or erased once the
 * customer is forgotten; schema checks see plain text, the log ciphertext. The data keys stay in PostgreSQL whichever
 * log is used. The event-store contract suite runs on what this returns.
 */
export function engineEventStore(log: EventStore, pool: Pool): { store: EventStore; keys: CustomerKeys } {
  const encrypting = new EncryptingEventStore(log, pool);
  return { store: new SchemaAwareEventStore(encrypting, CUSTOMER_EVENT_SCHEMAS), keys: encrypting.keys };
}

export async function openRuntime(config: Config, log: (line: string) => void): Promise<Runtime> {
  const segments = configFile(() => loadSegmentConfig(config.segmentsConfigFile));
  const churn = configFile(() => loadChurnConfig(config.churnConfigFile));
  const touchpoints = configFile(() => loadTouchpointConfig(config.touchpointsConfigFile));
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
  // A connection that cannot be opened within the timeout is a connection fault, answered 503, not a hung request.
  const pool = new Pool({ connectionString: database.url, max: config.databasePoolSize, connectionTimeoutMillis: config.databaseConnectTimeoutMs });
  const availability = new DatabaseAvailability(pool.options, log);
  // An idle connection dropped by the server (restart, shutdown) must not crash the process; the next query reconnects.
  pool.on('error', (error) => availability.failed(error) || log(`database connection lost: ${error.message}`));
  const stop = async (store: EventStore | undefined): Promise<void> => {
    availability.close();
    try {
      await store?.close();
      // The PostgreSQL store ends the pool it shares with the read models; otherwise it is ours to end.
      if (!(eventLog(store) instanceof PostgresEventStore)) await pool.end();
    } finally {
      await database.stop();
    }
  };
  let store: EventStore | undefined;
  try {
    const engine = engineEventStore(await openEventLog(config, pool, log), pool);
    store = engine.store;
    await engine.keys.migrate();
    const projector = new Projector(pool, store, projections({ touchpoints }), { batchSize: config.projectorBatchSize, log, availability });
    await projector.migrate();
    const opened = store;
    const sealer = eventLog(store) instanceof PostgresEventStore ? new Sealer(pool, config.seal.batchSize) : null;
    const commandQueue = new KeyedQueue({ maxWaiting: config.commandQueueMaxWaiting, timeoutMs: config.commandQueueTimeoutMs });
    return { config, database, availability, store: opened, commandQueue, readModels: pool, projector, sealer, segments, churn, touchpoints, close: () => stop(opened) };
  } catch (error) {
    await stop(store).catch(() => undefined);
    throw error;
  }
}

/** The pauses of a start that cannot reach its database: doubling from the first to the last, then the last. */
export const START_RETRY_MS = { first: 1_000, max: 10_000 };

/**
 * openRuntime and the report of config conflicts, tried again for as long as the database cannot be reached: not up
 * yet, restarting, or a connection cut while the engine migrated (issue 15: a projector whose connection
 * pg_terminate_backend cut during its start exited). The running loops wait out an outage the same way. Any other
 * error (the configuration, a statement refused) ends the start. Resolves null once the signal aborts instead.
 */
export async function openRuntimeWhenReachable(
  config: Config,
  log: (line: string) => void,
  signal: AbortSignal,
  retryMs: typeof START_RETRY_MS = START_RETRY_MS,
): Promise<Runtime | null> {
  for (let pauseMs = retryMs.first; !signal.aborted; pauseMs = Math.min(pauseMs * 2, retryMs.max)) {
    let runtime: Runtime | undefined;
    try {
      runtime = await openRuntime(config, log);
      await reportConfigConflicts(runtime, log);
      if (!signal.aborted) return runtime;
      await runtime.close();
      return null;
    } catch (error) {
      await runtime?.close().catch(() => undefined);
      if (!isConnectionFault(error)) throw error;
      log(`the database cannot be reached yet (${messageOf(error)}): starting again in ${pauseMs / 1000} s`);
      await sleep(pauseMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return null;
}

/**
 * Data already in the log never stops the start: a conflict with the configuration is reported, segment evaluations
 * fail visibly (recorded with the reason, shown by GET /segments) until the rate is added, and everything else runs.
 */
export async function reportConfigConflicts(runtime: Runtime, log: (line: string) => void): Promise<void> {
  const { config, segments } = runtime;
  for (const currency of await missingCurrencyRates(runtime.readModels, segments)) {
    log(
      `segments config conflict: ${config.segmentsConfigFile ? `SEGMENTS_CONFIG=${config.segmentsConfigFile}` : 'the default segments config'} ` +
        `has no currency.rates.${currency}, and bookings in the log are in ${currency} (a missing rate is never taken as zero): ` +
        `segment evaluations fail until it is added; new bookings in ${currency} are refused (booking.currency-without-rate)`,
    );
  }
}

/** Segment evaluations after fact changes and on the configured interval, in the leading projector process, until the signal aborts. */
export const runSegmentSchedule = (runtime: Runtime, log: (line: string) => void, signal: AbortSignal): Promise<void> =>
  schedule(
    runtime.readModels,
    runtime.store,
    runtime.segments,
    {
      intervalMs: runtime.config.segmentEvaluationIntervalMs,
      pollMs: runtime.config.segmentEvaluationPollMs,
      log,
      availability: runtime.availability,
      leading: () => processLeads(runtime.readModels),
    },
    signal,
  );

/** Churn model fits and scorings on the configured interval, in the leading projector process, until the signal aborts. */
export const runChurnSchedule = (runtime: Runtime, log: (line: string) => void, signal: AbortSignal): Promise<void> =>
  churnSchedule(
    runtime.readModels,
    runtime.store,
    { churn: runtime.churn, currency: runtime.segments.currency },
    {
      intervalMs: runtime.config.churnFitIntervalMs,
      pollMs: runtime.config.segmentEvaluationPollMs,
      log,
      availability: runtime.availability,
      leading: () => processLeads(runtime.readModels),
    },
    signal,
  );

/** Assignments of customers who entered a running campaign's audience, in the leading projector process, until the signal aborts. */
export const runCampaignEntrants = (runtime: Runtime, log: (line: string) => void, signal: AbortSignal): Promise<void> =>
  campaignEntrants(
    runtime.readModels,
    runtime.store,
    { intervalMs: runtime.config.campaignEntrantsIntervalMs, log, availability: runtime.availability, leading: () => processLeads(runtime.readModels) },
    signal,
  );

/**
 * Seals the global chain on the configured interval until the signal aborts. Every process runs this; one at a time
 * seals (Sealer), so a second process costs a try of a lock per interval and takes over when the first stops.
 */
export const runSealer = async (runtime: Runtime, log: (line: string) => void, signal: AbortSignal): Promise<void> => {
  const sealer = runtime.sealer;
  if (!sealer) return;
  await poll(
    async () => void (await sealer.sealAll()),
    { pollMs: runtime.config.seal.intervalMs, maxBackoffMs: 5_000, what: 'sealing the global chain', log, availability: runtime.availability },
    signal,
  );
};
