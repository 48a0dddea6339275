import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const cruise = (cwd: string): { code: number; output: string } => {
  try {
    const output = execFileSync(join(ROOT, 'node_modules/.bin/depcruise'), ['apps', 'libs', 'projections', '--config', join(ROOT, '.dependency-cruiser.cjs')], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, DEPCRUISE_TSCONFIG: join(ROOT, 'tsconfig.json') },
      stdio: 'pipe',
    });
    return { code: 0, output };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, output: failed.stdout + failed.stderr };
  }
};

/** The boundary check of `npm test` (npm run depcheck) must really fail on a violation: run it on a small tree that breaks each rule. */
describe('dependency boundaries', () => {
  let tree: string;
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  };
  beforeEach(() => {
    tree = mkdtempSync(join(tmpdir(), 'boundaries-'));
    write('apps/api/main.ts', "import { ok } from '../../libs/domain/ok';\nexport const main = ok;\n");
    write('libs/domain/ok.ts', 'export const ok = 1;\n');
    write('projections/a/a.ts', "import { ok } from '../../libs/domain/ok';\nexport const a = ok;\n");
  });
  afterEach(() => rmSync(tree, { recursive: true, force: true }));

  it('passes a tree that keeps the rules', () => {
    expect(cruise(tree).code).toBe(0);
  });

  it('fails when the domain imports a framework or a database driver', () => {
    write('libs/domain/bad.ts', "import { Injectable } from '@nestjs/common';\nimport { Pool } from 'pg';\nexport const bad = [Injectable, Pool];\n");
    const result = cruise(tree);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('domain-is-pure');
  });

  it('fails when one projection imports another', () => {
    write('projections/b/b.ts', "import { a } from '../a/a';\nexport const b = a;\n");
    const result = cruise(tree);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('projection-independence');
  });

  // Each rule below is proven by one import that breaks it, in a tree that otherwise passes.
  it.each([
    ['libs-not-projections', 'libs/runtime/root.ts', "import { a } from '../../projections/a/a';\nexport const root = a;\n"],
    ['libs-not-apps', 'libs/runtime/root.ts', "import { main } from '../../apps/api/main';\nexport const root = main;\n"],
    ['projections-not-apps', 'projections/b/b.ts', "import { main } from '../../apps/api/main';\nexport const b = main;\n"],
    ['infrastructure-is-a-leaf', 'libs/postgres/pool.ts', "import { ok } from '../domain/ok';\nexport const pool = ok;\n"],
    ['infrastructure-is-a-leaf', 'libs/config/checker.ts', "import { ok } from '../domain/ok';\nexport const checker = ok;\n"],
    ['eventstoredb-client-in-its-adapter', 'libs/event-store/postgres/store.ts', "import { EventStoreDBClient } from '@eventstore/db-client';\nexport const store = EventStoreDBClient;\n"],
  ])('fails on %s (%s)', (rule, path, text) => {
    write(path, text);
    const result = cruise(tree);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(rule);
  });

  it('lets the EventStoreDB adapter load its client', () => {
    write('libs/event-store/src/eventstoredb/store.ts', "import { EventStoreDBClient } from '@eventstore/db-client';\nexport const store = EventStoreDBClient;\n");
    expect(cruise(tree).code).toBe(0);
  });
});
