import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * `npm run build` while engines run or start from the same checkout (`npm start` builds first: an API and a projector
 * started one after the other, or the tests beside start.e2e-spec): no file an engine reads may go missing or be half
 * written, even for a moment. The routines' .sql files were copied over with fs.cpSync, which unlinks each file
 * first, and the console was rebuilt into an emptied folder: an engine starting meanwhile failed with ENOENT on
 * dist/libs/auth/src/api-keys-changed.sql (CI of stop 33).
 */
const ROOT = resolve(__dirname, '../..');

const filesUnder = (dir: string, keep: (file: string) => boolean): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter(keep);

/** What the engine reads from the build besides its JavaScript: the routines and the console. */
const served = (): string[] => [
  ...['apps', 'libs', 'projections'].flatMap((dir) => filesUnder(join(ROOT, 'dist', dir), (file) => file.endsWith('.sql'))),
  ...filesUnder(join(ROOT, 'apps/console/dist'), () => true),
];

const identity = (file: string): string => {
  const { ino, mtimeMs, size } = statSync(file);
  return `${ino}/${mtimeMs}/${size}`;
};

it('rewrites nothing that did not change, and a reader never finds a file missing, empty or different meanwhile', async () => {
  const files = served();
  const sources = ['apps', 'libs', 'projections'].flatMap((dir) => filesUnder(join(ROOT, dir), (file) => file.endsWith('.sql')));
  expect(sources.length).toBeGreaterThan(5);
  expect(files.filter((file) => file.endsWith('.sql')).map((file) => relative(join(ROOT, 'dist'), file)).sort()).toEqual(sources.map((file) => relative(ROOT, file)).sort());
  expect(files.map((file) => relative(ROOT, file))).toContain('apps/console/dist/index.html');
  const content = new Map(files.map((file) => [file, readFileSync(file)]));
  // The .sql files are the sources' copies, byte for byte.
  for (const file of files.filter((name) => name.endsWith('.sql'))) expect(content.get(file)).toEqual(readFileSync(join(ROOT, relative(join(ROOT, 'dist'), file))));
  const before = new Map(files.map((file) => [file, identity(file)]));

  const build = spawn('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  build.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  build.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => build.once('exit', done));
  const problems = new Set<string>();
  let reads = 0;
  while (build.exitCode === null) {
    for (const file of files) {
      reads++;
      try {
        if (!readFileSync(file).equals(content.get(file)!)) problems.add(`${relative(ROOT, file)}: different`);
      } catch (error) {
        problems.add(`${relative(ROOT, file)}: ${(error as NodeJS.ErrnoException).code}`);
      }
    }
    await new Promise((done) => setImmediate(done));
  }
  expect({ code: await exited, output }).toEqual({ code: 0, output: expect.any(String) });
  expect([...problems]).toEqual([]);
  expect(reads).toBeGreaterThan(files.length * 10);
  // Unchanged sources: the same files, not copies of them.
  expect(served().map((file) => `${relative(ROOT, file)} ${identity(file)}`)).toEqual(files.map((file) => `${relative(ROOT, file)} ${before.get(file)}`));
  // Nothing left behind: no temporary file, no folder vite built into.
  expect(filesUnder(join(ROOT, 'dist'), (file) => file.endsWith('.tmp'))).toEqual([]);
  expect(readdirSync(join(ROOT, 'dist')).filter((name) => name.startsWith('.console-'))).toEqual([]);
}, 120_000);

it('builds the same console whatever NODE_ENV it is run with', async () => {
  const files = served();
  const before = files.map((file) => `${relative(ROOT, file)} ${identity(file)}`);
  for (const NODE_ENV of ['development', 'test', 'production']) {
    const build = spawn('npm', ['run', 'build', '--silent'], { cwd: ROOT, env: { ...process.env, NODE_ENV }, stdio: 'ignore' });
    expect({ NODE_ENV, code: await new Promise<number | null>((done) => build.once('exit', done)) }).toEqual({ NODE_ENV, code: 0 });
    expect(served().map((file) => `${relative(ROOT, file)} ${identity(file)}`)).toEqual(before);
  }
}, 120_000);
