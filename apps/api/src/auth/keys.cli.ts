import 'reflect-metadata';
import { API_KEY_RATE_LIMIT, ApiKeyError, checkRateLimit, createApiKey, listApiKeys, migrateApiKeys, revokeApiKey, ROLES } from '../../../../libs/auth/src';
import { exitWith, withRuntime } from '../../../engine/src';

const USAGE = `usage: npm run keys -- <command>
  create --name <name> --role <${ROLES.join('|')}> [--rate-limit <n>]
                                                    make an API key and print it (shown this once only; only its hash is kept);
                                                    it may send n requests a minute to all engine processes together
                                                    (${API_KEY_RATE_LIMIT.min} to ${API_KEY_RATE_LIMIT.max}, default ${API_KEY_RATE_LIMIT.default})
  list                                              every key: id, name, role, prefix, rate limit, created, revoked
  revoke <id or name>                               revoke the key (every engine process refuses it within a second)`;

type Args = { command: 'create'; name: string; role: string; rateLimit: number } | { command: 'list' } | { command: 'revoke'; key: string };

const parseArgs = ([command, ...rest]: string[]): Args | string => {
  if (command === 'list') return rest.length ? `list takes no arguments, got ${rest.join(' ')}` : { command };
  if (command === 'revoke') return rest.length === 1 ? { command, key: rest[0] } : 'revoke takes one key id or name';
  if (command !== 'create') return command ? `unknown command "${command}"` : 'give a command';
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (!['--name', '--role', '--rate-limit'].includes(rest[i]) || rest[i + 1] === undefined) return `unknown option or missing value: ${rest[i]}`;
    options[rest[i].slice(2)] = rest[i + 1];
  }
  if (!options.name || !options.role) return 'create needs --name and --role';
  // Checked before the database is opened: a typo costs no start-up.
  try {
    return { command, name: options.name, role: options.role, rateLimit: checkRateLimit(options['rate-limit'] ?? API_KEY_RATE_LIMIT.default) };
  } catch (error) {
    if (error instanceof ApiKeyError) return `--${error.field}: ${error.message}`;
    throw error;
  }
};

/** `npm run keys -- create --name ops-1 --role admin`, `list`, `revoke <id|name>`. */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  return withRuntime(async ({ readModels }) => {
    await migrateApiKeys(readModels);
    if (args.command === 'list') {
      const keys = await listApiKeys(readModels);
      if (!keys.length) console.log('no keys yet: npm run keys -- create --name <name> --role admin');
      for (const key of keys) console.log(`${key.id}  ${key.name}  ${key.role}  ${key.prefix}…  ${key.rateLimitPerMinute}/min  created ${key.createdAt}${key.revokedAt ? `  REVOKED ${key.revokedAt}` : ''}`);
      return 0;
    }
    if (args.command === 'revoke') {
      const revoked = await revokeApiKey(readModels, args.key);
      if (!revoked) {
        console.error(`no active key with id or name "${args.key}" (npm run keys -- list shows them)`);
        return 1;
      }
      console.log(`revoked ${revoked.name} (${revoked.role}, ${revoked.id}) at ${revoked.revokedAt}`);
      return 0;
    }
    try {
      const created = await createApiKey(readModels, args.name, args.role, args.rateLimit);
      console.log(`created ${created.role} key "${created.name}" (${created.id}), ${created.rateLimitPerMinute} requests a minute. The key, shown this once only:\n\n  ${created.key}\n`);
      console.log(`Send it as: Authorization: Bearer ${created.key.slice(0, 10)}…`);
      return 0;
    } catch (error) {
      if (!(error instanceof ApiKeyError)) throw error;
      console.error(`--${error.field}: ${error.message}\n${USAGE}`);
      return 2;
    }
  });
}

exitWith(main(process.argv.slice(2)));
