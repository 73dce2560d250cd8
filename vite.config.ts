import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const EMPTY = '\0empty-node-builtin';

/**
 * The Emscripten codecs are CommonJS with a Node branch (`require('fs')`, `require('path')`) that a
 * browser never takes. Left to Vite, each build prints a "Module has been externalized" warning per
 * import and worker bundle, which a user cannot act on: resolve them to an empty module instead.
 */
function emptyNodeBuiltinsForCodecs(): Plugin {
  return {
    name: 'empty-node-builtins-for-codecs',
    enforce: 'pre',
    resolveId(id, importer) {
      if ((id === 'fs' || id === 'path') && importer?.includes('/@cornerstonejs/codec-'))
        return EMPTY;
      return undefined;
    },
    load(id) {
      return id === EMPTY ? 'export default {};' : undefined;
    },
  };
}

export default defineConfig({
  plugins: [react(), emptyNodeBuiltinsForCodecs()],
  worker: { format: 'es', plugins: () => [emptyNodeBuiltinsForCodecs()] },
  build: {
    target: 'es2022',
    sourcemap: true,
    // bench/ceiling.html: the benchmark's ceiling page (same origin and build as the app).
    rollupOptions: { input: { main: 'index.html', bench: 'bench/ceiling.html' } },
  },
  // The codec is CommonJS with a Node branch (require('fs')) it never takes in a browser.
  optimizeDeps: { include: ['@cornerstonejs/codec-openjph'] },
});
