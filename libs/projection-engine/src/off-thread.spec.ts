import { threadId } from 'node:worker_threads';
import { OffThread } from './off-thread';

const FIXTURES = require.resolve('./off-thread.fixtures');

describe('OffThread', () => {
  it('runs the function in another thread and answers each call, in turn', async () => {
    const thread = new OffThread<[string, number], { text: string; threadId: number }>(FIXTURES, 'describeCall');
    try {
      const [first, second] = await Promise.all([thread.run('ab', 2), thread.run('c', 3)]);
      expect(first.text).toBe('abab');
      expect(second.text).toBe('ccc');
      expect(first.threadId).not.toBe(threadId);
      expect(second.threadId).toBe(first.threadId);
    } finally {
      await thread.close();
    }
  });

  it("rejects a call with the function's error message, and goes on answering", async () => {
    const thread = new OffThread<[string], never>(FIXTURES, 'refuse');
    try {
      await expect(thread.run('not a calendar date: 10000-01-01')).rejects.toThrow('not a calendar date: 10000-01-01');
      await expect(thread.run('again')).rejects.toThrow('again');
    } finally {
      await thread.close();
    }
  });

  it('fails the pending call when its thread dies, and starts a new thread for the next call', async () => {
    const dying = new OffThread<[], never>(FIXTURES, 'die');
    await expect(dying.run()).rejects.toThrow('the worker thread running die stopped (exit code 3)');
    await expect(dying.run()).rejects.toThrow('exit code 3');
    await dying.close();
  });
});
