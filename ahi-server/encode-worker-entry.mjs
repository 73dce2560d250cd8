// Plain-JS entry for the encoder thread: worker threads do not inherit the TypeScript loader of
// whoever started the server (tsx, vitest), so this file loads encode-worker.ts through tsx itself.
import { tsImport } from 'tsx/esm/api';

await tsImport('./encode-worker.ts', import.meta.url);
