import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('has defaults that need nothing set', () => {
    expect(loadConfig({})).toMatchObject({ port: 3000, databaseUrl: undefined, dataDir: './.data', projector: true, bodyLimitBytes: 262144 });
    expect(loadConfig({})).toMatchObject({ eventStore: 'postgres', eventStoreConnectionString: undefined });
  });

  it('reads the environment', () => {
    const config = loadConfig({ PORT: '8080', DATABASE_URL: 'postgres://u:p@db:5432/x', RUN_PROJECTOR: 'false', DATA_DIR: '/var/lib/engine' });
    expect(config).toMatchObject({ port: 8080, databaseUrl: 'postgres://u:p@db:5432/x', projector: false, dataDir: '/var/lib/engine' });
  });

  it('names every wrong value at once', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', RUN_PROJECTOR: 'maybe', BODY_LIMIT_BYTES: '-1' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT="abc" must be an integer from 0 to 65535');
    expect(message).toContain('DATABASE_URL must start with postgres://');
    expect(message).toContain('RUN_PROJECTOR="maybe" must be true or false');
    expect(message).toContain('BODY_LIMIT_BYTES="-1"');
  });

  it('bounds the per-stream command queue, 100 waiting for up to 10 s by default', () => {
    expect(loadConfig({})).toMatchObject({ commandQueueMaxWaiting: 100, commandQueueTimeoutMs: 10_000 });
    expect(loadConfig({ COMMAND_QUEUE_MAX_WAITING: '0', COMMAND_QUEUE_TIMEOUT_MS: '250' })).toMatchObject({ commandQueueMaxWaiting: 0, commandQueueTimeoutMs: 250 });
    expect(() => loadConfig({ COMMAND_QUEUE_MAX_WAITING: '-1', COMMAND_QUEUE_TIMEOUT_MS: '0' })).toThrow(
      /COMMAND_QUEUE_MAX_WAITING="-1" must be an integer from 0 to 100000\n.*COMMAND_QUEUE_TIMEOUT_MS="0" must be an integer from 1 to 600000/,
    );
  });

  it("keeps V8's heap within 50 % of what stays live by default; 0 leaves V8's own factor", () => {
    expect(loadConfig({}).heapGrowthPercent).toBe(50);
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: '301' })).toThrow('HEAP_GROWTH_PERCENT="301" must be an integer from 0 to 300');
  });

  it('bounds shutdown at 10 s and a database connect at 5 s by default', () => {
    expect(loadConfig({})).toMatchObject({ shutdownTimeoutMs: 10_000, databaseConnectTimeoutMs: 5_000 });
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '3000', DATABASE_CONNECT_TIMEOUT_MS: '500' })).toMatchObject({ shutdownTimeoutMs: 3000, databaseConnectTimeoutMs: 500 });
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '10', DATABASE_CONNECT_TIMEOUT_MS: 'soon' })).toThrow(
      /DATABASE_CONNECT_TIMEOUT_MS="soon" must be an integer from 100 to 120000\n.*SHUTDOWN_TIMEOUT_MS="10" must be an integer from 1000 to 600000/,
    );
  });

  describe('event store', () => {
    const problemsOf = (env: NodeJS.ProcessEnv): string => {
      try {
        loadConfig(env);
        return '';
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
    };

    it('selects EventStoreDB with a connection string, single node or cluster', () => {
      expect(loadConfig({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false' })).toMatchObject({
        eventStore: 'eventstoredb',
        eventStoreConnectionString: 'esdb://localhost:2113?tls=false',
      });
      for (const connectionString of ['esdb+discover://admin:changeit@cluster.dns:2113', 'esdb://host1:2113,host2:2113,host3:2113?tls=true']) {
        expect(loadConfig({ EVENT_STORE: 'EventStoreDB', EVENTSTORE_CONNECTION_STRING: connectionString }).eventStoreConnectionString).toBe(connectionString);
      }
    });

    it('keeps the log in PostgreSQL unless told otherwise, ignoring a connection string it does not use', () => {
      expect(loadConfig({ EVENT_STORE: 'postgres', EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113' })).toMatchObject({
        eventStore: 'postgres',
        eventStoreConnectionString: undefined,
      });
    });

    it('names an unknown store and a missing connection string with the other problems', () => {
      const message = problemsOf({ EVENT_STORE: 'mongo', PORT: 'abc' });
      expect(message).toContain('EVENT_STORE="mongo" must be postgres or eventstoredb');
      expect(message).toContain('PORT="abc"');
      expect(problemsOf({ EVENT_STORE: 'eventstoredb', PORT: '-2' })).toContain('EVENTSTORE_CONNECTION_STRING is required when EVENT_STORE=eventstoredb');
    });

    it('refuses a connection string the client cannot read, without echoing it (it may hold a password)', () => {
      const http = problemsOf({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'https://admin:s3cret@esdb:2113' });
      expect(http).toContain('EVENTSTORE_CONNECTION_STRING must start with esdb:// or esdb+discover://');
      expect(http).not.toContain('s3cret');
      expect(problemsOf({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'esdb://' })).toContain('followed by a host');
      expect(problemsOf({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'kurrentdb+discover://admin:s3cret@db:2113' })).toContain(
        'write kurrentdb:// as esdb://',
      );
    });
  });
});
