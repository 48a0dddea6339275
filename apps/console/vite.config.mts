import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the engine at /console (apps/api/src/console.ts); `npm install` builds it into dist/ here.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, reportCompressedSize: true },
  logLevel: 'warn',
});
