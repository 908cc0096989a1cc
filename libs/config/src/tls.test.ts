import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WailError } from '@wail/errors';
import { tlsSettings } from './index';

const dir = mkdtempSync(join(tmpdir(), 'wail-tls-'));
const file = (name: string) => join(dir, name);

/** A self-signed certificate and its key, `<name>.crt` and `<name>.key`. */
function selfSigned(name: string): void {
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.crt`),
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr}`);
}

beforeAll(() => {
  selfSigned('a');
  selfSigned('b');
  writeFileSync(file('garbage.pem'), 'not a PEM file\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemOf(env: { WAIL_TLS_CERT_FILE?: string; WAIL_TLS_KEY_FILE?: string }): string {
  try {
    tlsSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(WailError);
    expect((error as WailError).code).toBe('CONFIG_INVALID');
    return (error as WailError).message;
  }
  throw new Error('accepted');
}

describe('tlsSettings', () => {
  it('is plain HTTP when neither variable is set', () => {
    expect(tlsSettings({})).toBeUndefined();
  });

  it('reads a matching certificate and key', () => {
    const tls = tlsSettings({
      WAIL_TLS_CERT_FILE: file('a.crt'),
      WAIL_TLS_KEY_FILE: file('a.key'),
    });
    expect(tls?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls?.key.toString()).toContain('PRIVATE KEY');
  });

  it('refuses a certificate without a key, and a key without a certificate', () => {
    expect(problemOf({ WAIL_TLS_CERT_FILE: file('a.crt') })).toContain(
      'WAIL_TLS_CERT_FILE is set without WAIL_TLS_KEY_FILE',
    );
    expect(problemOf({ WAIL_TLS_KEY_FILE: file('a.key') })).toContain(
      'WAIL_TLS_KEY_FILE is set without WAIL_TLS_CERT_FILE',
    );
  });

  it('names each file that cannot be read', () => {
    const message = problemOf({
      WAIL_TLS_CERT_FILE: file('missing.crt'),
      WAIL_TLS_KEY_FILE: file('missing.key'),
    });
    expect(message).toContain(`WAIL_TLS_CERT_FILE (${JSON.stringify(file('missing.crt'))})`);
    expect(message).toContain(`WAIL_TLS_KEY_FILE (${JSON.stringify(file('missing.key'))})`);
    expect(message).toContain('ENOENT');
  });

  it('names the variable whose file is not PEM', () => {
    expect(
      problemOf({ WAIL_TLS_CERT_FILE: file('garbage.pem'), WAIL_TLS_KEY_FILE: file('a.key') }),
    ).toMatch(/WAIL_TLS_CERT_FILE \(.*\): not a PEM certificate/);
    expect(
      problemOf({ WAIL_TLS_CERT_FILE: file('a.crt'), WAIL_TLS_KEY_FILE: file('garbage.pem') }),
    ).toMatch(/WAIL_TLS_KEY_FILE \(.*\): not a PEM private key/);
  });

  it('refuses a key that is not the certificate’s', () => {
    expect(
      problemOf({ WAIL_TLS_CERT_FILE: file('a.crt'), WAIL_TLS_KEY_FILE: file('b.key') }),
    ).toMatch(/WAIL_TLS_KEY_FILE \(.*\) is not the key of the certificate in WAIL_TLS_CERT_FILE/);
  });
});
