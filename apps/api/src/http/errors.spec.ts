import { QueueRefused } from '../../../../libs/event-store/src';
import { toErrorBody } from './errors';

describe('a command refused by its stream queue', () => {
  const limits = { maxWaiting: 100, timeoutMs: 10_000 };

  it('answers 503, retry after a second, naming the bound', () => {
    expect(toErrorBody(new QueueRefused('customer-c1', 'full', limits))).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'customer-c1 is busy: its queue in this process is full (100 waiting); nothing was written, send it again',
      rule: 'command-queue.bounded',
      maxWaiting: 100,
      retryAfterSeconds: 1,
    });
  });

  it('answers 503, retry after a second, naming the wait limit', () => {
    expect(toErrorBody(new QueueRefused('customer-c1', 'timeout', limits))).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'customer-c1 is busy: the command waited 10000 ms for its turn; nothing was written, send it again',
      rule: 'command-queue.wait-limited',
      timeoutMs: 10_000,
      retryAfterSeconds: 1,
    });
  });
});
