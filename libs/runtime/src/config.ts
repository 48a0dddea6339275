export interface Config {
  port: number;
  databaseUrl?: string;
  dataDir: string;
  bodyLimitBytes: number;
  /** Run the projector inside the API process (the default single-process mode). */
  projector: boolean;
  projectorBatchSize: number;
  /** Upper bound for ?minPosition waits, in milliseconds. */
  readYourWritesTimeoutMs: number;
  databasePoolSize: number;
  /** Where the event log lives; read models and projection checkpoints stay in PostgreSQL either way. */
  eventStore: 'postgres' | 'eventstoredb';
  /** Set (and checked) when eventStore is eventstoredb. */
  eventStoreConnectionString?: string;
  /** A JSON file overriding the default segment definitions (libs/segments/src/segment-config.ts). */
  segmentsConfigFile?: string;
  /** Time-driven segment evaluation: this long after the last one (default daily). */
  segmentEvaluationIntervalMs: number;
  /** How often the evaluator looks for changed facts. */
  segmentEvaluationPollMs: number;
  /** A JSON file overriding the churn model and risk-score settings (libs/churn/src/churn-config.ts). */
  churnConfigFile?: string;
  /** The churn model is refitted (and everyone scored) this long after the current fit's cut-off (default daily). */
  churnFitIntervalMs: number;
  /** A JSON file overriding the touchpoint rules (libs/touchpoints). */
  touchpointsConfigFile?: string;
}

export class ConfigError extends Error {}

const integer = (env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, problems: string[]): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name}="${raw}" must be an integer from ${min} to ${max}`);
    return fallback;
  }
  return value;
};

const boolean = (env: NodeJS.ProcessEnv, name: string, fallback: boolean, problems: string[]): boolean => {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  problems.push(`${name}="${env[name]}" must be true or false`);
  return fallback;
};

const EVENT_STORES = ['postgres', 'eventstoredb'] as const;

const eventStore = (env: NodeJS.ProcessEnv, problems: string[]): Config['eventStore'] => {
  const raw = env.EVENT_STORE?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'postgres';
  if ((EVENT_STORES as readonly string[]).includes(raw)) return raw as Config['eventStore'];
  problems.push(`EVENT_STORE="${env.EVENT_STORE}" must be postgres or eventstoredb`);
  return 'postgres';
};

/**
 * The installed client (@eventstore/db-client 6.2.1) parses only esdb:// and esdb+discover://; KurrentDB servers
 * take those too. The value is never echoed: it may hold a password.
 */
const eventStoreConnectionString = (env: NodeJS.ProcessEnv, selected: boolean, problems: string[]): string | undefined => {
  const raw = env.EVENTSTORE_CONNECTION_STRING?.trim() || undefined;
  if (!selected) return undefined;
  if (!raw) {
    problems.push('EVENTSTORE_CONNECTION_STRING is required when EVENT_STORE=eventstoredb (e.g. esdb://localhost:2113?tls=false)');
  } else if (/^kurrentdb(\+discover)?:\/\//.test(raw)) {
    problems.push('EVENTSTORE_CONNECTION_STRING: write kurrentdb:// as esdb:// and kurrentdb+discover:// as esdb+discover:// (the client this engine uses reads only those; KurrentDB accepts them)');
  } else if (!/^esdb(\+discover)?:\/\/[^/?]/.test(raw)) {
    problems.push('EVENTSTORE_CONNECTION_STRING must start with esdb:// or esdb+discover:// followed by a host');
  }
  return raw;
};

/** Reads and checks every setting at once, so a wrong start names all the wrong values together. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  const config: Config = {
    port: integer(env, 'PORT', 3000, 0, 65535, problems),
    databaseUrl,
    dataDir: env.DATA_DIR || './.data',
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 256 * 1024, 1024, 64 * 1024 * 1024, problems),
    projector: boolean(env, 'RUN_PROJECTOR', true, problems),
    projectorBatchSize: integer(env, 'PROJECTOR_BATCH_SIZE', 1000, 1, 100_000, problems),
    readYourWritesTimeoutMs: integer(env, 'READ_YOUR_WRITES_TIMEOUT_MS', 5000, 0, 60_000, problems),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 20, 2, 500, problems),
    eventStore: eventStore(env, problems),
    segmentsConfigFile: env.SEGMENTS_CONFIG || undefined,
    segmentEvaluationIntervalMs: integer(env, 'SEGMENT_EVALUATION_INTERVAL_MINUTES', 24 * 60, 1, 7 * 24 * 60, problems) * 60_000,
    segmentEvaluationPollMs: integer(env, 'SEGMENT_EVALUATION_POLL_MS', 5000, 50, 3_600_000, problems),
    churnConfigFile: env.CHURN_CONFIG || undefined,
    churnFitIntervalMs: integer(env, 'CHURN_FIT_INTERVAL_MINUTES', 24 * 60, 1, 31 * 24 * 60, problems) * 60_000,
    touchpointsConfigFile: env.TOUCHPOINTS_CONFIG || undefined,
  };
  config.eventStoreConnectionString = eventStoreConnectionString(env, config.eventStore === 'eventstoredb', problems);
  if (problems.length) throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
