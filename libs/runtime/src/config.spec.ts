import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('has defaults that need nothing set', () => {
    expect(loadConfig({})).toMatchObject({ port: 3000, databaseUrl: undefined, dataDir: './.data', projector: true, bodyLimitBytes: 262144 });
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
});
