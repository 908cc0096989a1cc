import { Type } from '@sinclair/typebox';
import { readCaFile, refuseProblems } from './ca-file';

export const KafkaSecurityEnv = {
  WAIL_KAFKA_TLS: Type.Boolean({
    default: false,
    description:
      "connect to every Kafka cluster over TLS, verifying the brokers' certificates (Node's trusted CAs unless WAIL_KAFKA_TLS_CA_FILE)",
  }),
  WAIL_KAFKA_TLS_CA_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "PEM file of the CA certificates that signed the brokers' certificates; implies WAIL_KAFKA_TLS",
    }),
  ),
  WAIL_KAFKA_SASL_MECHANISM: Type.Optional(
    Type.Union(
      [Type.Literal('plain'), Type.Literal('scram-sha-256'), Type.Literal('scram-sha-512')],
      {
        description: 'authenticate to Kafka with SASL: plain, scram-sha-256 or scram-sha-512',
      },
    ),
  ),
  WAIL_KAFKA_SASL_USERNAME: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'SASL user' }),
  ),
  WAIL_KAFKA_SASL_PASSWORD: Type.Optional(
    Type.String({ minLength: 1, maxLength: 1024, description: 'SASL password' }),
  ),
};

export interface KafkaSecurityValues {
  WAIL_KAFKA_TLS: boolean;
  WAIL_KAFKA_TLS_CA_FILE?: string | undefined;
  WAIL_KAFKA_SASL_MECHANISM?: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  WAIL_KAFKA_SASL_USERNAME?: string | undefined;
  WAIL_KAFKA_SASL_PASSWORD?: string | undefined;
}

/** What @wail/kafka's KafkaClient takes as `security` (the same shape). */
export interface KafkaSecuritySettings {
  tls?: { ca?: string[] | undefined } | undefined;
  sasl?:
    | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
    | undefined;
}

/**
 * TLS and SASL for every Kafka cluster the service talks to. The CA file is
 * read once here: a missing or unreadable file, one without a certificate,
 * or SASL half configured stops start-up with CONFIG_INVALID naming the
 * variable (never echoing the password).
 */
export function kafkaSecurity(e: KafkaSecurityValues): KafkaSecuritySettings | undefined {
  const problems: string[] = [];
  const pem = readCaFile('WAIL_KAFKA_TLS_CA_FILE', e.WAIL_KAFKA_TLS_CA_FILE, problems);
  const ca = pem === undefined ? undefined : [pem];
  const { WAIL_KAFKA_SASL_MECHANISM: mechanism } = e;
  const username = e.WAIL_KAFKA_SASL_USERNAME;
  const password = e.WAIL_KAFKA_SASL_PASSWORD;
  if (mechanism !== undefined && (username === undefined || password === undefined))
    problems.push(
      'WAIL_KAFKA_SASL_MECHANISM needs WAIL_KAFKA_SASL_USERNAME and WAIL_KAFKA_SASL_PASSWORD',
    );
  if (mechanism === undefined && (username !== undefined || password !== undefined))
    problems.push(
      'WAIL_KAFKA_SASL_USERNAME and WAIL_KAFKA_SASL_PASSWORD need WAIL_KAFKA_SASL_MECHANISM',
    );
  const tlsOn = e.WAIL_KAFKA_TLS || ca !== undefined;
  if (mechanism === 'plain' && !tlsOn)
    problems.push(
      'WAIL_KAFKA_SASL_MECHANISM=plain sends the password in clear: it needs WAIL_KAFKA_TLS (or WAIL_KAFKA_TLS_CA_FILE), or use scram-sha-256/512',
    );
  refuseProblems(problems);
  const tls = tlsOn ? { ca } : undefined;
  const sasl =
    mechanism !== undefined ? { mechanism, username: username!, password: password! } : undefined;
  if (!tls && !sasl) return undefined;
  return { tls, sasl };
}
