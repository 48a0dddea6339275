import { readFileSync } from 'node:fs';
import type { JwtConfig } from '../../../libs/auth/src';

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
  /** The global chain's sealer (PostgreSQL log): events per seal transaction, pause when caught up, alarm age. */
  seal: { batchSize: number; intervalMs: number; alarmSeconds: number };
  /**
   * Connections per pool (the API's, and the projector's). 8, not 20 (issue 15): with the embedded server on 2 cores,
   * 20 busy backends took the CPU from the thread that reads requests and sheds them; at twice the sustainable rate
   * new connections then waited in the listen queue and the p99 of accepted commands was 3.5-7 s (8: 0.4-1.7 s), at
   * the same throughput. A database server of its own takes more.
   */
  databasePoolSize: number;
  /** How long opening one database connection may take before it counts as a connection fault, in milliseconds. */
  databaseConnectTimeoutMs: number;
  /** SIGTERM/SIGINT: the hard bound on shutdown; work still running then is abandoned (its transaction rolls back). */
  shutdownTimeoutMs: number;
  /** Commands for one stream take turns in this process: how many may wait behind the running one (more answer 503). */
  commandQueueMaxWaiting: number;
  /** How long a command may wait for its stream's turn before it answers 503, in milliseconds. */
  commandQueueTimeoutMs: number;
  /** Commands (POST, PUT, PATCH, DELETE) running at once in this process; one more answers 503 at once (engine.overloaded). */
  maxInFlightCommands: number;
  /** Past this share of a 250 ms window busy, the API's thread takes fewer commands in flight (apps/api/src/http/overload.ts). */
  maxApiBusyPercent: number;
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
  /** How often running campaigns assign customers who entered their audience since the last look (issue 18). */
  campaignEntrantsIntervalMs: number;
  /** The churn model is refitted (and everyone scored) this long after the current fit's cut-off (default daily). */
  churnFitIntervalMs: number;
  /** A JSON file overriding the touchpoint rules (libs/touchpoints). */
  touchpointsConfigFile?: string;
  /** Bearer tokens from one issuer, besides API keys (off unless a secret or public key is configured). */
  jwt?: JwtConfig;
  /** Requests per minute per API key (per address before authentication); more answer 429 with Retry-After. */
  rateLimitPerMinute: number;
  /** How long a console session lasts after sign-in, in minutes. */
  consoleSessionMinutes: number;
  /** Origins allowed to call the API from a browser; none by default (server-to-server callers need no CORS). */
  corsOrigins: string[];
  /** How far V8's heap may grow past what stayed live after a full collection, in percent; 0 leaves V8's own factor. */
  heapGrowthPercent: number;
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

const jwtConfig = (env: NodeJS.ProcessEnv, problems: string[]): JwtConfig | undefined => {
  const secret = env.JWT_SECRET || undefined;
  const keyFile = env.JWT_PUBLIC_KEY_FILE || undefined;
  if (!secret && !keyFile) return undefined;
  if (secret && keyFile) problems.push('set JWT_SECRET (HS256) or JWT_PUBLIC_KEY_FILE (RS256/ES256), not both');
  if (secret && secret.length < 32) problems.push('JWT_SECRET must be at least 32 characters (the value is not shown)');
  let publicKey: string | undefined;
  if (keyFile) {
    try {
      publicKey = readFileSync(keyFile, 'utf8');
      if (!publicKey.includes('-----BEGIN')) problems.push(`JWT_PUBLIC_KEY_FILE=${keyFile} is not a PEM public key`);
    } catch (error) {
      problems.push(`JWT_PUBLIC_KEY_FILE=${keyFile} cannot be read: ${(error as Error).message}`);
    }
  }
  if (!env.JWT_ISSUER) problems.push('JWT_ISSUER is required when bearer tokens are configured (the iss every token must carry)');
  if (!env.JWT_AUDIENCE) problems.push('JWT_AUDIENCE is required when bearer tokens are configured (the aud every token must carry)');
  return { issuer: env.JWT_ISSUER ?? '', audience: env.JWT_AUDIENCE ?? '', secret, publicKey, roleClaim: env.JWT_ROLE_CLAIM || 'role' };
};

const corsOrigins = (env: NodeJS.ProcessEnv, problems: string[]): string[] => {
  const origins = (env.CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS: "${origin}" must be an origin like https://crm.example.com (scheme and host, no path) or *`);
  }
  return origins;
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
    // 5,000: a launch to 100,000 customers is projected in 20 transactions per read model, not 100 (10.9-11.2 s
    // against 12.4-12.5 s, bench/RESULTS.md); a projector at the head applies what has come, whatever this is.
    projectorBatchSize: integer(env, 'PROJECTOR_BATCH_SIZE', 5000, 1, 100_000, problems),
    readYourWritesTimeoutMs: integer(env, 'READ_YOUR_WRITES_TIMEOUT_MS', 5000, 0, 60_000, problems),
    seal: {
      batchSize: integer(env, 'SEAL_BATCH_SIZE', 5000, 1, 100_000, problems),
      intervalMs: integer(env, 'SEAL_INTERVAL_MS', 100, 10, 60_000, problems),
      alarmSeconds: integer(env, 'SEAL_ALARM_SECONDS', 60, 1, 86_400, problems),
    },
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 8, 2, 500, problems),
    databaseConnectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5000, 100, 120_000, problems),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 1000, 600_000, problems),
    commandQueueMaxWaiting: integer(env, 'COMMAND_QUEUE_MAX_WAITING', 100, 0, 100_000, problems),
    commandQueueTimeoutMs: integer(env, 'COMMAND_QUEUE_TIMEOUT_MS', 10_000, 1, 600_000, problems),
    maxInFlightCommands: integer(env, 'MAX_IN_FLIGHT_COMMANDS', 64, 1, 100_000, problems),
    maxApiBusyPercent: integer(env, 'MAX_API_BUSY_PERCENT', 85, 1, 100, problems),
    eventStore: eventStore(env, problems),
    segmentsConfigFile: env.SEGMENTS_CONFIG || undefined,
    segmentEvaluationIntervalMs: integer(env, 'SEGMENT_EVALUATION_INTERVAL_MINUTES', 24 * 60, 1, 7 * 24 * 60, problems) * 60_000,
    segmentEvaluationPollMs: integer(env, 'SEGMENT_EVALUATION_POLL_MS', 5000, 50, 3_600_000, problems),
    churnConfigFile: env.CHURN_CONFIG || undefined,
    campaignEntrantsIntervalMs: integer(env, 'CAMPAIGN_ENTRANTS_INTERVAL_SECONDS', 60, 1, 86_400, problems) * 1000,
    churnFitIntervalMs: integer(env, 'CHURN_FIT_INTERVAL_MINUTES', 24 * 60, 1, 31 * 24 * 60, problems) * 60_000,
    touchpointsConfigFile: env.TOUCHPOINTS_CONFIG || undefined,
    jwt: jwtConfig(env, problems),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 1200, 1, 1_000_000, problems),
    consoleSessionMinutes: integer(env, 'CONSOLE_SESSION_MINUTES', 60, 1, 1440, problems),
    corsOrigins: corsOrigins(env, problems),
    heapGrowthPercent: integer(env, 'HEAP_GROWTH_PERCENT', 50, 0, 300, problems),
  };
  config.eventStoreConnectionString = eventStoreConnectionString(env, config.eventStore === 'eventstoredb', problems);
  if (problems.length) throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
