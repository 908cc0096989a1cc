import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { Type } from '@sinclair/typebox';
import { WailError } from '@wail/errors';

/**
 * The certificate and key of a service's listener. Clients trust a private CA
 * through Node's own `NODE_EXTRA_CA_CERTS`, so there is no CA variable here.
 */
export const TlsEnv = {
  WAIL_TLS_CERT_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'PEM certificate (chain) of the listener; with WAIL_TLS_KEY_FILE it serves HTTPS only',
    }),
  ),
  WAIL_TLS_KEY_FILE: Type.Optional(
    Type.String({ minLength: 1, description: 'PEM private key of WAIL_TLS_CERT_FILE' }),
  ),
};

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * The listener's certificate and key, read and checked at start-up: both or
 * neither, readable, PEM, and the key the certificate's. Undefined: plain
 * HTTP. Throws CONFIG_INVALID naming the variable at fault.
 */
export function tlsSettings(e: {
  WAIL_TLS_CERT_FILE?: string | undefined;
  WAIL_TLS_KEY_FILE?: string | undefined;
}): TlsFiles | undefined {
  const certFile = e.WAIL_TLS_CERT_FILE;
  const keyFile = e.WAIL_TLS_KEY_FILE;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    return refuse([
      `  ${certFile === undefined ? 'WAIL_TLS_KEY_FILE' : 'WAIL_TLS_CERT_FILE'} is set without ${certFile === undefined ? 'WAIL_TLS_CERT_FILE' : 'WAIL_TLS_KEY_FILE'}: set both (HTTPS) or neither (HTTP)`,
    ]);
  const problems: string[] = [];
  const cert = readPem('WAIL_TLS_CERT_FILE', certFile, 'certificate', problems);
  const key = readPem('WAIL_TLS_KEY_FILE', keyFile, 'private key', problems);
  if (cert === undefined || key === undefined) return refuse(problems);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    return refuse([
      `  WAIL_TLS_KEY_FILE (${JSON.stringify(keyFile)}) is not the key of the certificate in WAIL_TLS_CERT_FILE (${JSON.stringify(certFile)}): ${(error as Error).message}`,
    ]);
  }
  return { cert, key };
}

/** The file's content when it can be read and parsed alone; else a problem naming the variable. */
function readPem(
  variable: 'WAIL_TLS_CERT_FILE' | 'WAIL_TLS_KEY_FILE',
  path: string,
  what: string,
  problems: string[],
): Buffer | undefined {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    problems.push(
      `  ${variable} (${JSON.stringify(path)}): cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
    return undefined;
  }
  try {
    createSecureContext(variable === 'WAIL_TLS_CERT_FILE' ? { cert: content } : { key: content });
  } catch (error) {
    problems.push(
      `  ${variable} (${JSON.stringify(path)}): not a PEM ${what} (${(error as Error).message})`,
    );
    return undefined;
  }
  return content;
}

function refuse(problems: string[]): never {
  throw new WailError('CONFIG_INVALID', `invalid configuration:\n${problems.join('\n')}`, {
    details: { problems },
  });
}
