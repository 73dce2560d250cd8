import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    // bench.html: the benchmark's ceiling page (same origin and build as the app).
    rollupOptions: { input: { main: 'index.html', bench: 'bench.html' } },
  },
  // The codec is CommonJS with a Node branch (require('fs')) it never takes in a browser.
  optimizeDeps: { include: ['@cornerstonejs/codec-openjph'] },
});
