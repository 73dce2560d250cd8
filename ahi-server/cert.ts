/**
 * A self-signed certificate for localhost / 127.0.0.1 / ::1, made with the openssl command on first
 * start and kept under the cache directory (out of git). Browsers speak HTTP/2 only over TLS, so
 * the local server needs one; tests accept it with ignoreHTTPSErrors, people click through once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export function loadOrCreateCertificate(cacheDir: string): {
  key: Buffer;
  cert: Buffer;
  created: boolean;
} {
  const dir = join(cacheDir, 'tls');
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  let created = false;
  if (!existsSync(keyPath) || !existsSync(certPath)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `.${process.pid}.tmp`;
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          keyPath + tmp,
          '-out',
          certPath + tmp,
          '-days',
          '825',
          '-subj',
          '/CN=ahi-web-retrieve local AHI server',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1',
        ],
        { stdio: 'pipe' },
      );
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      throw new Error(
        err.code === 'ENOENT'
          ? "the openssl command is needed once to make the local server's certificate (Debian: apt-get install openssl)"
          : `openssl could not make a certificate: ${err.stderr?.toString() ?? err.message}`,
      );
    }
    renameSync(keyPath + tmp, keyPath);
    renameSync(certPath + tmp, certPath);
    created = true;
  }
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), created };
}
