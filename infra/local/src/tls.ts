import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './processes';
import type { StackPaths } from './paths';

/** The password of the stack's PKCS#12 key store (Cassandra's); a local secret, not a real one. */
export const STACK_KEYSTORE_PASSWORD = 'wail-stack-keystore';

/** The user and password the secured services of the stack accept (Kafka PLAIN and SCRAM-SHA-512, Cassandra, MariaDB). */
export const STACK_SECURE_USER = 'wail';
export const STACK_SECURE_PASSWORD = 'wail-stack-secret';

export interface StackTls {
  dir: string;
  /** The stack's CA: what a client trusts (WAIL_*_TLS_CA_FILE). */
  caFile: string;
  /** The servers' certificate (127.0.0.1 and localhost) and its key, PEM. */
  certFile: string;
  keyFile: string;
  /** The same key and certificate chain as PKCS#12, for Java servers. */
  keystoreFile: string;
}

export function stackTlsFiles(paths: StackPaths): StackTls {
  const dir = join(paths.home, 'tls');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    keystoreFile: join(dir, 'server.p12'),
  };
}

function openssl(args: string[], what: string): void {
  const result = run('openssl', args);
  if (result.status !== 0)
    throw new Error(`tls: ${what} failed (openssl ${args[0]}):\n${result.output}`);
}

/**
 * The stack's certificates under `.wail/tls/`, made once with openssl: a CA
 * and one server certificate for 127.0.0.1 and localhost that every secured
 * service of the stack presents (kafka-secure, cassandra-secure,
 * mysql-secure). Made again only when a file is missing.
 */
export function ensureStackTls(paths: StackPaths, note: (line: string) => void): StackTls {
  const tls = stackTlsFiles(paths);
  const { dir, caFile, certFile, keyFile, keystoreFile } = tls;
  if ([caFile, certFile, keyFile, keystoreFile].every((file) => existsSync(file))) return tls;
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const request = join(dir, 'server.csr');
  const extensions = join(dir, 'server.ext');
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      caKey,
      '-out',
      caFile,
      '-days',
      '3650',
      '-subj',
      '/CN=WAIL local stack CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    'the CA',
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      request,
      '-subj',
      '/CN=127.0.0.1',
    ],
    'the server key',
  );
  writeFileSync(
    extensions,
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'extendedKeyUsage=serverAuth,clientAuth',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      request,
      '-CA',
      caFile,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-out',
      certFile,
      '-days',
      '825',
      '-extfile',
      extensions,
    ],
    'the server certificate',
  );
  openssl(
    [
      'pkcs12',
      '-export',
      '-in',
      certFile,
      '-inkey',
      keyFile,
      '-certfile',
      caFile,
      '-name',
      'server',
      '-out',
      keystoreFile,
      '-passout',
      `pass:${STACK_KEYSTORE_PASSWORD}`,
    ],
    'the PKCS#12 key store',
  );
  rmSync(request, { force: true });
  rmSync(extensions, { force: true });
  note(`made the stack's CA and server certificate in ${dir}`);
  return tls;
}
