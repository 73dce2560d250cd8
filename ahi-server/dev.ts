/**
 * `npm run dev`: the local AHI server plus Vite's dev server (hot reload) over HTTPS with the same
 * certificate, serving /ahi-local.json so the app is prefilled as with `npm start`.
 */
import { createServer } from 'vite';
import { loadOrCreateCertificate } from './cert';
import { localConfig, startLocalAhi } from './index';
import { parseConfig } from './knobs';

const config = parseConfig(process.argv.slice(2), process.env);
const local = await startLocalAhi({ ...config, appDir: undefined }, (line) => console.log(line));
const tls = loadOrCreateCertificate(config.cacheDir);
const vite = await createServer({
  server: {
    https: { key: tls.key, cert: tls.cert },
    host: config.host,
    port: config.appPort || 8444,
    strictPort: true,
  },
  plugins: [
    {
      name: 'ahi-local-config',
      configureServer(server) {
        server.middlewares.use('/ahi-local.json', (req, res) => {
          const authority = req.headers[':authority'] ?? req.headers.host ?? 'localhost';
          const host = String(authority).replace(/:\d+$/, '');
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(localConfig(config, local.api.port, local.imageSets, host)));
        });
      },
    },
  ],
});
await vite.listen();
console.log(
  `\nLocal AHI API ${local.api.url}\nDev server    https://localhost:${vite.config.server.port}/ (accept the self-signed certificate once)`,
);
const stop = () => void Promise.all([vite.close(), local.close()]).then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
