import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { KafkaSecurityEnv, kafkaSecurity } from './kafka-security';
import { loadEnv } from './load-config';

const dir = mkdtempSync(join(tmpdir(), 'wail-kafka-security-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const notPem = join(dir, 'not.pem');
writeFileSync(notPem, 'hello');

const settings = (env: Record<string, string>) =>
  kafkaSecurity(loadEnv(Type.Object(KafkaSecurityEnv), env));

describe('Kafka TLS and SASL settings', () => {
  it('is plaintext without any variable', () => {
    expect(settings({})).toBeUndefined();
  });

  it("takes TLS with Node's CAs, or with a CA file (which implies TLS)", () => {
    expect(settings({ WAIL_KAFKA_TLS: 'true' })).toEqual({ tls: { ca: undefined } });
    expect(settings({ WAIL_KAFKA_TLS_CA_FILE: caFile })).toEqual({
      tls: { ca: [expect.stringContaining('BEGIN CERTIFICATE')] },
    });
  });

  it('takes SASL with its mechanism, user and password, over TLS or not', () => {
    expect(
      settings({
        WAIL_KAFKA_TLS: 'true',
        WAIL_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        WAIL_KAFKA_SASL_USERNAME: 'wail',
        WAIL_KAFKA_SASL_PASSWORD: 'secret-pw',
      }),
    ).toEqual({
      tls: { ca: undefined },
      sasl: { mechanism: 'scram-sha-512', username: 'wail', password: 'secret-pw' },
    });
  });

  it.each([
    [
      { WAIL_KAFKA_TLS_CA_FILE: join(dir, 'missing.pem') },
      /WAIL_KAFKA_TLS_CA_FILE: cannot read the file \(ENOENT\)/,
    ],
    [
      { WAIL_KAFKA_TLS_CA_FILE: notPem },
      /WAIL_KAFKA_TLS_CA_FILE: the file holds no PEM certificate/,
    ],
    [
      { WAIL_KAFKA_SASL_MECHANISM: 'plain', WAIL_KAFKA_SASL_USERNAME: 'u' },
      /needs WAIL_KAFKA_SASL_USERNAME and WAIL_KAFKA_SASL_PASSWORD/,
    ],
    [{ WAIL_KAFKA_SASL_PASSWORD: 'secret-pw' }, /need WAIL_KAFKA_SASL_MECHANISM/],
  ])('refuses a half or broken configuration naming the variable: %j', (env, message) => {
    expect(() => settings(env)).toThrow(message);
    try {
      settings(env);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('secret-pw');
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    }
  });

  it('refuses PLAIN without TLS (the password would travel in clear), and takes SCRAM without it', () => {
    expect(() =>
      settings({
        WAIL_KAFKA_SASL_MECHANISM: 'plain',
        WAIL_KAFKA_SASL_USERNAME: 'u',
        WAIL_KAFKA_SASL_PASSWORD: 'secret-pw',
      }),
    ).toThrow(/plain sends the password in clear/);
    expect(
      settings({
        WAIL_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        WAIL_KAFKA_SASL_USERNAME: 'u',
        WAIL_KAFKA_SASL_PASSWORD: 'secret-pw',
      }),
    ).toEqual({
      tls: undefined,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'secret-pw' },
    });
  });

  it('refuses a user or password beyond their bounds, without echoing the password', () => {
    const huge = 'p'.repeat(1025);
    let message = '';
    try {
      loadEnv(Type.Object(KafkaSecurityEnv), {
        WAIL_KAFKA_SASL_USERNAME: 'u'.repeat(257),
        WAIL_KAFKA_SASL_PASSWORD: huge,
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/WAIL_KAFKA_SASL_USERNAME/);
    expect(message).toMatch(/WAIL_KAFKA_SASL_PASSWORD/);
    expect(message).not.toContain(huge);
  });

  it('refuses an unknown mechanism', () => {
    expect(() => settings({ WAIL_KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      /WAIL_KAFKA_SASL_MECHANISM/,
    );
  });
});
