/**
 * A minimal Chrome DevTools Protocol client: launches Chromium headless with a fresh profile and
 * talks to one page over the browser's WebSocket, using only Target, Page and Runtime. It never
 * enables the Network domain, so the browser's network path is measured as a user's would be
 * (Playwright tracks every request over CDP and costs about 30 % of throughput here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class Cdp {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners = new Set<(method: string, params: unknown, sessionId?: string) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev: MessageEvent<string>) => {
      const msg = JSON.parse(ev.data) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: unknown;
        sessionId?: string;
      };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        for (const l of this.listeners) l(msg.method, msg.params, msg.sessionId);
      }
    });
  }

  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)));
    });
    return new Cdp(ws);
  }

  send<T = unknown>(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<T> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise<T>((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
    );
  }

  on(listener: (method: string, params: unknown, sessionId?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.ws.close();
  }
}

export interface Browser {
  cdp: Cdp;
  process: ChildProcess;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile that accepts the local server's certificate. */
export async function launch(extraArgs: string[] = []): Promise<Browser> {
  const dir = await mkdtemp(join(tmpdir(), 'ahi-bench-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--ignore-certificate-errors',
      '--remote-debugging-port=0',
      `--user-data-dir=${dir}`,
      ...extraArgs,
      'about:blank',
    ],
    { stdio: 'ignore' },
  );
  let port = '';
  let path = '';
  for (let i = 0; i < 200 && !port; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      [port = '', path = ''] = (await readFile(join(dir, 'DevToolsActivePort'), 'utf8')).split(
        '\n',
      );
    } catch {
      // not yet written
    }
  }
  if (!port) throw new Error('Chromium did not open its DevTools port');
  const cdp = await Cdp.connect(`ws://127.0.0.1:${port}${path}`);
  return {
    cdp,
    process: child,
    close: async () => {
      cdp.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/**
 * Opens `url` in the tab Chromium started with (a second tab would be a renderer of ~70 MB that
 * no user of the app has, counted in every memory number) and returns a function that evaluates
 * expressions in it. `initScript` runs in the page before any of its own scripts (e.g. to observe
 * long tasks from the start).
 */
export async function openPage(
  browser: Browser,
  url: string,
  initScript?: string,
): Promise<{ sessionId: string; evaluate: <T>(expr: string) => Promise<T> }> {
  const { targetInfos } = await browser.cdp.send<{
    targetInfos: { targetId: string; type: string }[];
  }>('Target.getTargets');
  const started = targetInfos.find((t) => t.type === 'page')?.targetId;
  const { targetId } = started
    ? { targetId: started }
    : await browser.cdp.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await browser.cdp.send<{ sessionId: string }>('Target.attachToTarget', {
    targetId,
    flatten: true,
  });
  await browser.cdp.send('Page.enable', {}, sessionId);
  if (initScript)
    await browser.cdp.send(
      'Page.addScriptToEvaluateOnNewDocument',
      { source: initScript },
      sessionId,
    );
  await browser.cdp.send('Page.navigate', { url }, sessionId);
  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = await browser.cdp.send<{ result: { value: T }; exceptionDetails?: { text: string } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true },
      sessionId,
    );
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.text);
    return r.result.value;
  };
  return { sessionId, evaluate };
}
