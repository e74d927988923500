// The browser bundle (web/, served by the control plane at /console/). tsc
// type-checks the same sources and compiles them to dist/ for the unit tests.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    // No inline scripts or data: module preloads: the control plane serves the console with a strict CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
