import { PassThrough } from 'node:stream';
import type { RecordedEvent } from '../event-store.port';
import { BatchReader, reconnectDelay, resumeCheckpoint, unseen } from './catch-up-subscription';

const at = (commit: number, prepare = commit): RecordedEvent =>
  ({ eventId: `e-${commit}`, streamId: 'customer-1', globalPosition: commit, checkpoint: `${commit}:${prepare}` }) as RecordedEvent;

describe('reconnect backoff', () => {
  it('starts near 250 ms, doubles, and never waits more than 10 s', () => {
    const ceilings = Array.from({ length: 10 }, (_, attempt) => reconnectDelay(attempt, () => 1));
    expect(ceilings).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
    expect(reconnectDelay(1000, () => 1)).toBe(10_000);
  });

  it('is jittered between half and all of the ceiling, so many consumers do not reconnect in step', () => {
    expect(reconnectDelay(0, () => 0)).toBe(125);
    expect(reconnectDelay(3, () => 0)).toBe(1000);
    expect(reconnectDelay(8, () => 0)).toBe(5000);
    for (let i = 0; i < 200; i++) {
      const delay = reconnectDelay(4);
      expect(delay).toBeGreaterThanOrEqual(2000);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });
});

describe('resume position', () => {
  it('is the last delivered event, so the event after it is read again after a drop or restart', () => {
    expect(resumeCheckpoint('0:0', [at(100), at(180), at(260)])).toBe('260:260');
    expect(resumeCheckpoint('260:260', [at(300, 290)])).toBe('300:290');
  });

  it('never moves past the last delivered event, and never back', () => {
    // A filtered subscription may report a checkpoint at 900 while the last matching event is at 260; only
    // delivered events are inputs, so nothing can put the resume position at 900 and skip an event at 500.
    const delivered = [at(100), at(260)];
    const resume = resumeCheckpoint('50:50', delivered);
    expect(resume).toBe('260:260');
    expect(unseen([at(500), at(900)], resume).map((e) => e.globalPosition)).toEqual([500, 900]);
    expect(resumeCheckpoint('300:300', [at(260)])).toBe('300:300');
    expect(resumeCheckpoint('300:300', [])).toBe('300:300');
  });

  it('drops events a resubscription replays, including the one it starts from', () => {
    expect(unseen([at(260), at(300), at(400)], '300:300').map((e) => e.globalPosition)).toEqual([400]);
  });
});

describe('batch reader', () => {
  const source = (): PassThrough => new PassThrough({ objectMode: true, highWaterMark: 100 });

  it('hands over what is buffered, at most the batch size at a time, then null at the end', async () => {
    const stream = source();
    const reader = new BatchReader<number>(stream);
    [1, 2, 3, 4, 5].forEach((n) => stream.write(n));
    expect(await reader.next(2)).toEqual([1, 2]);
    expect(await reader.next(10)).toEqual([3, 4, 5]);
    const waiting = reader.next(10);
    stream.write(6);
    expect(await waiting).toEqual([6]);
    stream.end();
    expect(await reader.next(10)).toBeNull();
  });

  it('delivers what arrived before an error, then throws it; an error between reads is kept, not lost', async () => {
    const stream = source();
    const reader = new BatchReader<number>(stream);
    stream.write(1);
    stream.write(2);
    // The client's subscription emits 'error' on itself when the gRPC call fails.
    stream.emit('error', new Error('connection dropped'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await reader.next(10)).toEqual([1, 2]);
    await expect(reader.next(10)).rejects.toThrow('connection dropped');
  });

  it('stops waiting when the signal aborts', async () => {
    const reader = new BatchReader<number>(source());
    const controller = new AbortController();
    const waiting = reader.next(10, controller.signal);
    controller.abort();
    expect(await waiting).toBeNull();
  });
});
