/**
 * Security of the production build in Debian Chromium: it runs under a strict Content-Security-
 * Policy without a single violation; secrets and session tokens are found nowhere after a run
 * (IndexedDB, localStorage, sessionStorage, Cache Storage, OPFS, the DOM, console output, error
 * text); and no request goes anywhere but the app's own origin and the configured endpoint.
 */
import { request } from '@playwright/test';
import { API_URL, APP_URL } from '../playwright.config';
import { expect, test } from './fixtures';
import { openApp, resetKnobs, resetServer, serverStats } from './helpers';

/** CSP violations reported to the page, collected from the start. */
const collectViolations = () => {
  const w = window as unknown as { __csp: string[] };
  w.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
  );
};

test.beforeEach(async () => {
  await resetKnobs();
  await resetServer();
});

test('the production build runs under a strict CSP with no violation', async ({
  persistent: { page },
}) => {
  const console: string[] = [];
  page.on('console', (m) => console.push(m.text()));
  await page.addInitScript(collectViolations);
  await page.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
  const response = await page.goto('/');
  const csp = response!.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toMatch(/connect-src 'self' https:\/\/\*\.amazonaws\.com https:\/\/127\.0\.0\.1:\d+/);
  expect(csp).not.toContain('unsafe-inline');

  // Everything that loads code or connects: workers, WASM codecs, the API, the viewer, export.
  await openApp(page);
  await page.getByLabel('Format', { exact: true }).selectOption('raw');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames, 16 verified/, {
    timeout: 60_000,
  });
  await page.getByRole('button', { name: /^Frame 1 of MR \d+: NEMA MR2 \(/ }).click();
  await expect(page.getByLabel('Decoded frame')).toHaveAttribute('data-frame', /\w{32}/);
  await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export zip', exact: true }).click(),
  ]);
  const violations = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  expect(violations).toEqual([]);
  expect(console.filter((m) => /Content Security Policy/i.test(m))).toEqual([]);
});

test('a strict CSP does block what it should (the check above can fail)', async ({
  persistent: { page },
}) => {
  await page.addInitScript(collectViolations);
  await openApp(page);
  await page.evaluate(async () => {
    await fetch('https://example.invalid/').catch(() => {});
  });
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp))
    .toEqual(['connect-src https://example.invalid/']);
});

test('no secret or session token is kept or shown anywhere, and requests stay on the endpoint', async ({
  persistent: { page, context },
}) => {
  // Temporary credentials from the local server: a secret and a session token unique to this run.
  const ctx = await request.newContext({ ignoreHTTPSErrors: true });
  const creds = (await (await ctx.post(`${API_URL}/demo/credentials`)).json()) as {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
  };
  await ctx.dispose();
  const secrets = [creds.secretAccessKey, creds.sessionToken];

  const console: string[] = [];
  page.on('console', (m) => console.push(m.text()));
  page.on('pageerror', (e) => console.push(String(e)));
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));

  await openApp(page);
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await page.getByLabel('Access key ID').fill(creds.accessKeyId);
  await page.getByLabel('Session token').fill(creds.sessionToken);

  // First a wrong secret: its error text must not echo what was typed.
  const wrong = `${creds.secretAccessKey.slice(0, -4)}WXYZ`;
  secrets.push(wrong);
  await page.getByLabel('Secret access key').fill(wrong);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toContainText(/Stopped|Paused/, { timeout: 30_000 });

  await page.getByLabel('Secret access key').fill(creds.secretAccessKey);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames/, { timeout: 60_000 });
  await page.getByRole('button', { name: /^Frame 1 of MR \d+: NEMA MR2 \(/ }).click();
  await expect(page.getByLabel('Decoded frame')).toHaveAttribute('data-frame', /\w{32}/);

  const found = await page.evaluate(async (needles) => {
    const hits: string[] = [];
    const check = (where: string, text: string) => {
      for (const n of needles) if (text.includes(n)) hits.push(`${where} holds ${n.slice(0, 6)}…`);
    };
    const asText = (v: unknown): string =>
      JSON.stringify(v, (_k, x: unknown) =>
        // A copy: stored chunks read back resizable, which TextDecoder refuses.
        x instanceof ArrayBuffer ? new TextDecoder('latin1').decode(x.slice(0)) : x,
      );
    // IndexedDB: every database, every store, every record (binary values as text too).
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(info.name!);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error ?? new Error('open failed'));
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const rows = await new Promise<unknown[]>((resolve, reject) => {
          const r = db.transaction(store).objectStore(store).getAll();
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error ?? new Error('read failed'));
        });
        check(`IndexedDB ${info.name}/${store}`, asText(rows));
      }
      db.close();
    }
    for (const [name, storage] of [
      ['localStorage', localStorage],
      ['sessionStorage', sessionStorage],
    ] as const) {
      for (let i = 0; i < storage.length; i++) {
        const k = storage.key(i)!;
        check(name, `${k}=${storage.getItem(k)}`);
      }
    }
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys())
        check(`Cache ${name}`, `${req.url} ${await (await cache.match(req))!.text()}`);
    }
    const walk = async (dir: FileSystemDirectoryHandle, path: string): Promise<void> => {
      for await (const [name, h] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
        if (h.kind === 'directory') await walk(h as FileSystemDirectoryHandle, `${path}/${name}`);
        else
          check(
            `OPFS ${path}/${name}`,
            new TextDecoder('latin1').decode(
              await (await (h as FileSystemFileHandle).getFile()).arrayBuffer(),
            ),
          );
      }
    };
    await walk(await navigator.storage.getDirectory(), '');
    check('the DOM', document.documentElement.outerHTML);
    return {
      hits,
      databases: (await indexedDB.databases()).length,
      local: localStorage.length,
    };
  }, secrets);
  expect(found.hits).toEqual([]);
  // The scan looked at real data: the app's database and its remembered settings exist.
  expect(found.databases).toBeGreaterThan(0);
  expect(found.local).toBeGreaterThan(0);
  for (const s of secrets) {
    expect(console.filter((m) => m.includes(s))).toEqual([]);
    expect((await page.content()).includes(s)).toBe(false);
  }

  // Every request went to the app's origin or the configured endpoint; the workers' fetches were
  // seen too (as many frame requests as the server counted).
  const origins = new Set(requests.map((u) => new URL(u).origin));
  expect([...origins].sort()).toEqual([new URL(API_URL).origin, new URL(APP_URL).origin].sort());
  const stats = await serverStats();
  const frameRequests = requests.filter((u) => u.endsWith('/getImageFrame')).length;
  expect(frameRequests).toBeGreaterThanOrEqual(stats.byOperation['getImageFrame'] ?? 0);
});
