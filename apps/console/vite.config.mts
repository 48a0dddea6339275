import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the engine at /console (apps/api/src/console.ts); `npm install` builds it into dist/ here
// (apps/build.js: through a folder of its own, so that an engine serving this one never finds it emptied).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, reportCompressedSize: true },
  logLevel: 'warn',
});
