import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `npm start` as a new user meets it: the built engine with no DATABASE_URL starts an embedded PostgreSQL in a
 * fresh DATA_DIR, answers /health within 15 s, and stops itself and the database cleanly on SIGTERM.
 * (npm test builds dist/ before jest runs.)
 */
const MAIN = resolve(__dirname, '../../dist/apps/api/src/main.js');
const KEYS = resolve(__dirname, '../../dist/apps/api/src/auth/keys.cli.js');
const run = promisify(execFile);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  let dataDir: string;
  let engine: ChildProcess | undefined;
  let output = '';
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'engine-start-'));
  });
  afterAll(() => {
    if (engine?.exitCode === null) engine.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves /health within 15 s on a fresh data folder, then stops cleanly on SIGTERM', async () => {
    expect(existsSync(MAIN)).toBe(true);
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    const started = Date.now();
    engine = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    engine.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    engine.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    let url: string | undefined;
    while (!url && Date.now() - started < 15_000) {
      url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(url).toBeDefined();
    const health = await fetch(`${url}/health`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', database: 'ok', seal: { state: 'ok', unsealed: expect.any(Number), lagSeconds: expect.any(Number) } });
    expect(output).toContain(`embedded PostgreSQL in ${dataDir}`);

    // Closed by default: the start says how to make the first admin key, and the keys CLI shares the running database.
    expect(output).toContain('npm run keys -- create --name <your-name> --role admin');
    expect((await fetch(`${url}/customers`)).status).toBe(401);
    expect((await fetch(`${url}/docs`)).status).toBe(200);
    const cli = (...args: string[]) => run(process.execPath, [KEYS, ...args], { env });
    const created = await cli('create', '--name', 'first-admin', '--role', 'admin');
    const key = /\n\s+(tlk_\S+)\n/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    const auth = { headers: { Authorization: `Bearer ${key}` } };
    expect((await fetch(`${url}/customers`, auth)).status).toBe(200);
    expect((await cli('list')).stdout).toMatch(/first-admin {2}admin {2}tlk_/);
    await expect(cli('create', '--name', 'x', '--role', 'root')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--role: must be one of agent, manager, analyst, auditor, admin') });
    expect((await cli('revoke', 'first-admin')).stdout).toContain('revoked first-admin');
    expect((await fetch(`${url}/customers`, auth)).status).toBe(401);

    // An idle connection is kept past Node's default 5 s, so a client's pause does not cost it its connections.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const reused = (): Promise<boolean> =>
      new Promise((done, fail) => {
        const req = request(`${url}/health`, { agent }, (res) => res.resume().on('end', () => done(req.reusedSocket)));
        req.on('error', fail).end();
      });
    expect(await reused()).toBe(false);
    await new Promise((done) => setTimeout(done, 6_000));
    expect(await reused()).toBe(true);

    const postgresPid = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(alive(postgresPid)).toBe(true);
    const exited = new Promise<number | null>((done) => engine!.once('exit', (code) => done(code)));
    // The idle connection still open does not hold the stop.
    const stopping = Date.now();
    engine.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(5_000);
    agent.destroy();
    for (let i = 0; i < 50 && alive(postgresPid); i++) await new Promise((done) => setTimeout(done, 100));
    expect(alive(postgresPid)).toBe(false);
    expect(output).not.toMatch(/Error:|at .*\.js:\d+/);
  }, 60_000);
});

describe('npm start, stopped through npm', () => {
  let dataDir: string;
  let npm: ChildProcess | undefined;
  afterAll(() => {
    if (npm?.exitCode === null) npm.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  // A supervisor stops what it started: `npm start`. The script execs the engine, so npm's SIGTERM reaches it and
  // the engine stops its embedded server; with a shell between them the engine and the server were left running.
  it('SIGTERM to the npm process stops the engine and its embedded PostgreSQL', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'engine-npm-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    let output = '';
    npm = spawn('npm', ['start'], { env, cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = Date.now();
    while (!/listening on/.test(output)) {
      if (Date.now() - started > 120_000 || npm.exitCode !== null) throw new Error(`npm start did not start listening; it said:\n${output}`);
      await new Promise((done) => setTimeout(done, 200));
    }
    const enginePid = Number(readFileSync(join(dataDir, 'pg-owner'), 'utf8').trim().split(/\s+/)[0]);
    const serverPid = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect([alive(enginePid), alive(serverPid)]).toEqual([true, true]);
    npm.kill('SIGTERM');
    const stopping = Date.now();
    while ((alive(enginePid) || alive(serverPid)) && Date.now() - stopping < 10_000) await new Promise((done) => setTimeout(done, 100));
    expect({ engine: alive(enginePid), server: alive(serverPid), output }).toEqual({ engine: false, server: false, output: expect.stringContaining('SIGTERM: stopping') });
  }, 180_000);
});
