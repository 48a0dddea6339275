/** One run, three tiers told apart by suffix: *.spec.ts (pure units), *.int-spec.ts (real PostgreSQL), *.e2e-spec.ts (HTTP app). */
// The EventStoreDB contract suite needs a server no build machine here has: without one it is left out of the run
// (and the summary says so), never counted as passed.
const eventStoreDb = process.env.EVENTSTORE_CONNECTION_STRING ? [] : ['/test/contract/eventstoredb-event-store\\.int-spec\\.ts$'];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/projections', '<rootDir>/test'],
  testRegex: '\\.(spec|int-spec|e2e-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', ...eventStoreDb],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
    }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  maxWorkers: 2,
  testTimeout: 60000,
};
