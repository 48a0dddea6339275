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
