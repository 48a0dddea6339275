import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The last guard (apps/engine/src/shutdown.ts, as built): an 'error' event that a pg connection emits with no
 * listener, a connection fault, is logged and survived; any other uncaught error still ends the process with 1.
 */
const SHUTDOWN = resolve(__dirname, '../../dist/apps/engine/src/shutdown.js');
const run = promisify(execFile);

const emitting = (error: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  run(process.execPath, [
    '-e',
    `const { EventEmitter } = require('node:events');
     require(${JSON.stringify(SHUTDOWN)}).surviveConnectionFaults((line) => console.log(line));
     setTimeout(() => new EventEmitter().emit('error', ${error}), 10);
     setTimeout(() => console.log('still running'), 200);`,
  ]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (failure: { code: number; stdout: string; stderr: string }) => ({ code: failure.code, stdout: failure.stdout, stderr: failure.stderr }),
  );

it('survives a connection fault no listener took, and still ends on any other uncaught error', async () => {
  const fault = await emitting(`Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })`);
  expect(fault).toMatchObject({ code: 0, stdout: expect.stringMatching(/a database connection fault reached no handler \(terminating connection[^\n]*\n(.|\n)*still running/) });
  const bug = await emitting(`new TypeError('not a fault')`);
  expect(bug.code).toBe(1);
  expect(bug.stdout).not.toContain('still running');
  expect(bug.stderr).toContain('not a fault');
});
