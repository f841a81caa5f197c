import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRedis, type RedisProcess } from './redis-harness.js';

const run = promisify(execFile);

/** Certificates generated for one test run. */
export interface TestCertificates {
  /** PEM of the test CA (self-signed), to pass as `ssl: { ca }`. */
  ca: string;
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Removes the directory holding the keys. */
  remove(): Promise<void>;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 30_000 });
}

/**
 * Generates, with openssl, a throw-away CA and a server certificate it signs for localhost and
 * 127.0.0.1, in a fresh temporary directory.
 */
export async function generateCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'kv-tls-'));
  await writeFile(
    join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(dir, 'genrsa', '-out', 'ca.key', '2048');
  await openssl(
    dir,
    'req',
    '-x509',
    '-new',
    '-nodes',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=kv-store test CA',
    '-out',
    'ca.crt',
  );
  await openssl(dir, 'genrsa', '-out', 'server.key', '2048');
  await openssl(
    dir,
    'req',
    '-new',
    '-key',
    'server.key',
    '-subj',
    '/CN=localhost',
    '-out',
    'server.csr',
  );
  await openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  );
  return {
    ca: await readFile(join(dir, 'ca.crt'), 'utf8'),
    dir,
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Starts a TLS-only redis-server (plain port disabled) with the given certificates. */
export function startTlsRedis(certs: TestCertificates): Promise<RedisProcess> {
  return startRedis({
    customPort: true,
    args: [
      '--port',
      '0',
      '--tls-port',
      '${PORT}',
      '--tls-cert-file',
      certs.certFile,
      '--tls-key-file',
      certs.keyFile,
      '--tls-ca-cert-file',
      certs.caFile,
      '--tls-auth-clients',
      'no',
    ],
  });
}
