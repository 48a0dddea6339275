import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { traversableByOthers } from './embedded-database';

// A checkout under `mktemp -d` (mode 0700) left the postgres user unable to reach initdb in node_modules: EACCES.
it('makes a folder and every folder above it traversable by others, and nothing more', async () => {
  const top = mkdtempSync(join(tmpdir(), 'traverse-'));
  const inner = join(top, 'a', 'b');
  mkdirSync(inner, { recursive: true, mode: 0o700 });
  const lines: string[] = [];
  try {
    await traversableByOthers(inner, (line) => lines.push(line));
    for (const dir of [top, join(top, 'a'), inner]) expect(statSync(dir).mode & 0o777).toBe(0o701);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    lines.length = 0;
    await traversableByOthers(inner, (line) => lines.push(line));
    expect(lines).toEqual([]);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
