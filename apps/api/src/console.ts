import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';

/**
 * Where `npm install` (npm run build) puts the console: apps/console/dist in the checkout, found from here whether
 * this runs from the sources (tests) or from dist/; null outside a checkout.
 */
function consoleBuild(): string | null {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'apps', 'console', 'index.html'))) return join(dir, 'apps', 'console', 'dist');
  }
  return null;
}

/**
 * The console (issue 17) at /console, same origin as the API it calls: its files, and its page for every other path
 * under /console (the page routes itself). Hashed assets are cached for good, the page never. Not built: 503 saying how.
 */
export function serveConsole(app: INestApplication): void {
  const dir = consoleBuild();
  const page = dir && join(dir, 'index.html');
  const files = dir && express.static(dir, { index: false, immutable: true, maxAge: '365d' });
  app.use('/console', (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!files || !page || !existsSync(page)) {
      res.status(503).json({ statusCode: 503, error: 'Service Unavailable', message: 'the console is not built: run npm install (or npm run build) in the checkout' });
      return;
    }
    if (req.path.startsWith('/assets/')) return files(req, res, next);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(page);
  });
}
