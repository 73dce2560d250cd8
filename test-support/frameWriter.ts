/** For browser tests: a FrameWriter running in a dedicated worker, driven from the page. */
import { wrap } from 'comlink';
import type { TestWriterApi } from './frameWriter.worker';

export function testWriter() {
  const worker = new Worker(new URL('./frameWriter.worker.ts', import.meta.url), {
    type: 'module',
  });
  const api = wrap<TestWriterApi>(worker);
  return {
    putAll: (entries: Parameters<TestWriterApi['putAll']>[0]) => api.putAll(entries),
    holdOpens: (count: number, timeoutMs: number) => api.holdOpens(count, timeoutMs),
    releaseOpens: () => api.releaseOpens(),
    close: () => api.close(),
    terminate: () => worker.terminate(),
  };
}
