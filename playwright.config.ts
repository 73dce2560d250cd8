import { defineConfig } from '@playwright/test';

/** Ports for tests, apart from `npm start`'s, so a running demo never collides with a test run. */
export const API_PORT = Number(process.env.E2E_API_PORT ?? 8543);
export const APP_PORT = API_PORT + 1;
export const API_URL = `https://127.0.0.1:${API_PORT}`;
export const APP_URL = `https://127.0.0.1:${APP_PORT}/`;

export default defineConfig({
  testDir: 'e2e',
  // One local server serves every spec and its knobs are global: specs run one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  reporter: process.env.CI ? [['list']] : [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: APP_URL,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 720 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--disable-gpu', '--disable-quic'],
    },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `npx tsx ahi-server/cli.ts --app dist --port ${API_PORT} --app-port ${APP_PORT}`,
    url: `${API_URL}/demo/`,
    ignoreHTTPSErrors: true,
    // First start on a fresh machine encodes the synthetic series (about a minute on 2 cores).
    timeout: 300_000,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
  },
});
