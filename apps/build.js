/**
 * `npm run build`, which `npm install`, `npm start` and `npm test` run: the TypeScript into dist/, the routines' .sql
 * files beside it, and the console into apps/console/dist.
 *
 * Engines may be running or starting from this checkout while it runs (an API and a projector started one after the
 * other, or the tests), so the build never takes away a file another process may be reading: a file is written only
 * when its content changed, into a temporary name first and then renamed over the old one, so a reader sees the old
 * file or the new one, never none and never half of one. (fs.cpSync unlinks and rewrites every file, and vite's
 * emptyOutDir removes the whole folder first: an engine starting during `npm start` in another terminal failed with
 * ENOENT on a .sql file.) tsc's incremental build writes only what changed already.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const CONSOLE_OUT = join(ROOT, 'apps/console/dist');

/** Every file under `dir` (relative paths) that `keep` accepts; none when `dir` does not exist. */
const filesUnder = (dir, keep = () => true) =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name))).filter(keep) : [];

/** Writes `content` to `file` unless it holds exactly that already: through a temporary name and a rename. */
function writeIfChanged(file, content) {
  if (existsSync(file) && readFileSync(file).equals(content)) return;
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

/** Makes the files of `to` that `keep` accepts those of `from`: changed ones written, missing ones removed. */
function sync(from, to, keep = () => true) {
  const wanted = new Set(filesUnder(from, keep));
  for (const file of wanted) writeIfChanged(join(to, file), readFileSync(join(from, file)));
  for (const file of filesUnder(to, keep)) if (!wanted.has(file)) rmSync(join(to, file), { force: true });
}

const node = (script, args, env = process.env) => execFileSync(process.execPath, [join(ROOT, 'node_modules', script), ...args], { cwd: ROOT, stdio: 'inherit', env });

node('typescript/bin/tsc', ['-p', 'tsconfig.build.json']);

for (const dir of ['apps', 'libs', 'projections']) sync(join(ROOT, dir), join(ROOT, 'dist', dir), (file) => file.endsWith('.sql'));

// vite writes into a folder of its own (on the same file system, so that the renames stay renames), which is then
// synced into the one the engine serves.
mkdirSync(join(ROOT, 'dist'), { recursive: true });
const consoleBuild = mkdtempSync(join(ROOT, 'dist', '.console-'));
try {
  // The console is built for production whatever NODE_ENV the caller has: under the tests' NODE_ENV=test (an
  // `npm start` run by a test) vite made another bundle, which replaced the served one under the console's tests.
  node('vite/bin/vite.js', ['build', 'apps/console', '--outDir', consoleBuild, '--emptyOutDir'], { ...process.env, NODE_ENV: 'production' });
  sync(consoleBuild, CONSOLE_OUT);
} finally {
  rmSync(consoleBuild, { recursive: true, force: true });
}
