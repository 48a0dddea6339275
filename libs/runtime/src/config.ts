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
  };
  if (problems.length) throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
