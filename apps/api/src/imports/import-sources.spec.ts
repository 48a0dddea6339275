import { readLines } from './import-sources';
import type { Line } from './import-line';

const collect = async (chunks: (string | Buffer)[], maxBytes = 100): Promise<Line[]> => {
  const lines: Line[] = [];
  for await (const line of readLines((async function* () {
    yield* chunks;
  })(), maxBytes)) lines.push(line);
  return lines;
};

describe('readLines', () => {
  it('numbers lines as in the file, skips blank ones, strips CRLF, and tracks the bytes consumed', async () => {
    const lines = await collect(['{"a":1}\r\n\r\n{"b"', ':2}\n{"c":3}']);
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}', end: 9 },
      { line: 3, text: '{"b":2}', end: 19 },
      { line: 4, text: '{"c":3}', end: 26 },
    ]);
  });

  it('keeps a multi-byte character split across chunks whole', async () => {
    const bytes = Buffer.from('{"city":"Zürich"}\n');
    const [line] = await collect([bytes.subarray(0, 12), bytes.subarray(12)]);
    expect(line).toEqual({ line: 1, text: '{"city":"Zürich"}', end: bytes.length });
  });

  it('reports a line longer than the limit as an error without holding it, and goes on with the next', async () => {
    const lines = await collect(['x'.repeat(60), 'y'.repeat(60), '\n{"ok":true}\n'], 100);
    expect(lines).toEqual([
      { line: 1, text: '', error: 'must be at most 100 bytes long', end: 121 },
      { line: 2, text: '{"ok":true}', end: 133 },
    ]);
  });

  it('refuses a line that is not UTF-8 by its number instead of storing U+FFFD, and goes on with the next', async () => {
    // 0xE9 is é in Latin-1; in UTF-8 it starts a sequence that the next byte does not continue.
    const latin1 = Buffer.from('{"city":"Mérida"}\n', 'latin1');
    const lines = await collect([Buffer.from('{"a":1}\n'), latin1, Buffer.from('{"c":3}\n')]);
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}', end: 8 },
      { line: 2, text: '', error: 'must be UTF-8', end: 8 + latin1.length },
      { line: 3, text: '{"c":3}', end: 16 + latin1.length },
    ]);
  });

  it('measures the limit in bytes, as BODY_LIMIT_BYTES is', async () => {
    // Four characters, eight bytes.
    const [line] = await collect(['ΑΒΓΔ\n'], 7);
    expect(line).toEqual({ line: 1, text: '', error: 'must be at most 7 bytes long', end: 9 });
  });
});
