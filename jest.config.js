/**
 * Three tiers told apart by suffix, each a project that runs alone or with the others (`jest`, as `npm test` does):
 * *.spec.ts (pure units: `npm run test:unit`), *.int-spec.ts (real PostgreSQL: `test:int`), *.e2e-spec.ts (the HTTP
 * app and the CLIs, which run from dist: `test:e2e` builds first). Only the database tiers name the global set-up:
 * Jest runs a set-up module once however many selected projects name it, and not at all when none does, so the unit
 * tier starts no PostgreSQL. The scripts end in `--` because --selectProjects takes every word after it as a project
 * name: `npm run test:int -- projections/churn` runs the matching files of the tier.
 */
// The EventStoreDB contract suite needs a server no build machine here has: without one it is left out of the run
// (and the summary says so), never counted as passed.
const eventStoreDb = process.env.EVENTSTORE_CONNECTION_STRING ? [] : ['/test/contract/eventstoredb-event-store\\.int-spec\\.ts$'];

const tier = (displayName, suffix, { database }) => ({
  displayName,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/projections', '<rootDir>/test'],
  testRegex: `\\.${suffix}\\.ts$`,
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
  ...(database && {
    globalSetup: '<rootDir>/test/support/global-setup.ts',
    globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  }),
});

module.exports = {
  projects: [tier('unit', 'spec', { database: false }), tier('int', 'int-spec', { database: true }), tier('e2e', 'e2e-spec', { database: true })],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  maxWorkers: 2,
  // A run-wide option: Jest ignores it inside a project.
  testTimeout: 60000,
};
