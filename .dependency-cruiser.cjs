/**
 * Boundaries checked on every `npm test` (STYLE rule 8): the domain stays pure, and read models stay independent.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'libs/domain is plain TypeScript: no framework, no database driver, no event-store client, no other lib.',
      severity: 'error',
      from: { path: '^libs/domain/' },
      to: {
        pathNot: ['^libs/domain/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'domain-no-npm',
      comment: 'Not even type imports from npm packages (beyond node: built-ins) in the domain.',
      severity: 'error',
      from: { path: '^libs/domain/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-peer', 'npm-optional', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'projection-independence',
      comment: 'A projection never imports another projection: each read model can be dropped and rebuilt alone.',
      severity: 'error',
      from: { path: '^projections/([^/]+)/' },
      to: { path: '^projections/([^/]+)/', pathNot: '^projections/$1/' },
    },
    {
      name: 'libs-not-apps',
      comment: 'Shared libraries never reach into an app.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'libs-not-projections',
      comment: 'Shared libraries sit below the read models: what a lib needs from a projection is passed in by the composition root (apps/engine).',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^projections/' },
    },
    {
      name: 'projections-not-apps',
      comment: 'Read models never reach into an app: the apps wire them, not the other way round.',
      severity: 'error',
      from: { path: '^projections/' },
      to: { path: '^apps/' },
    },
    {
      name: 'infrastructure-is-a-leaf',
      comment: 'libs/postgres and libs/config are the toolkit every other piece uses: they import no other lib of ours.',
      severity: 'error',
      from: { path: '^libs/(postgres|config)/' },
      to: { path: '^(libs|projections|apps)/', pathNot: '^libs/$1/' },
    },
    {
      name: 'eventstoredb-client-in-its-adapter',
      comment: 'Only the EventStoreDB adapter (its own entry point) loads @eventstore/db-client, so the PostgreSQL path never does.',
      severity: 'error',
      from: { pathNot: '^libs/event-store/src/eventstoredb/' },
      to: { path: '@eventstore/db-client' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: process.env.DEPCRUISE_TSCONFIG ?? 'tsconfig.json' },
  },
};
