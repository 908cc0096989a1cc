import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Client,
  credentials,
  Metadata,
  waitForClientReady,
  type ChannelCredentials,
  type StatusObject,
} from '@grpc/grpc-js';
import { KafkaClient } from '@wail/kafka';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import {
  runServiceUntilExit,
  stackEnv,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@wail/testing';

const dir = mkdtempSync(join(tmpdir(), 'wail-https-'));
const file = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A throw-away CA, a server certificate it signs for 127.0.0.1 (the name the
 * clients check), and a second key that is not the certificate's.
 */
function issueCertificates(): void {
  openssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '1',
    '-subj',
    '/CN=wail-test-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
  );
  openssl(
    'req',
    ...ec,
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  );
  writeFileSync(
    file('server.ext'),
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  );
  openssl(
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    file('other.key'),
  );
}

/** `GET url` over HTTPS trusting only `ca`, or Node's default roots when undefined. */
function httpsGet(url: string, ca: Buffer | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, ca ? { ca } : {}, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

/** A Subscribe call that sends no request and ends: the gateway answers it with a status. */
async function emptySubscribe(address: string, creds: ChannelCredentials): Promise<StatusObject> {
  const client = new Client(address, creds);
  try {
    const call = client.makeBidiStreamRequest(
      '/wail.v1.EventGateway/Subscribe',
      (message: Buffer) => message,
      (bytes: Buffer) => bytes,
      new Metadata(),
      { deadline: Date.now() + 10_000 },
    );
    const ended = new Promise<StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => undefined);
    call.on('data', () => undefined);
    call.end();
    return await ended;
  } finally {
    client.close();
  }
}

/**
 * Each service given WAIL_TLS_CERT_FILE and WAIL_TLS_KEY_FILE serves HTTPS
 * only (the gateway's gRPC listener TLS too), and its clients trust the
 * private CA through NODE_EXTRA_CA_CERTS: the proxy and the gateway read
 * their routes from the repository over HTTPS.
 */
describe('HTTPS listeners', () => {
  const name = uniqueName('wail_https');
  const database = `${name}_repo`;
  const subscriptionsTopic = `${name}.subscriptions`;
  const running: ServiceProcess[] = [];
  let ca: Buffer;
  let tlsEnv: Record<string, string>;
  let repository: ServiceProcess;
  let proxy: ServiceProcess;
  let gateway: ServiceProcess;

  beforeAll(async () => {
    issueCertificates();
    ca = readFileSync(file('ca.crt'));
    tlsEnv = { WAIL_TLS_CERT_FILE: file('server.crt'), WAIL_TLS_KEY_FILE: file('server.key') };
    const start = async (
      service: 'repository' | 'proxy' | 'gateway',
      env: Record<string, string>,
    ) => {
      const started = await startServiceProcess(service, { ...tlsEnv, ...env }, { ca });
      running.push(started);
      return started;
    };
    repository = await start('repository', { WAIL_REPOSITORY_DATABASE: database });
    const client = { WAIL_REPOSITORY_URL: repository.url, NODE_EXTRA_CA_CERTS: file('ca.crt') };
    [proxy, gateway] = await Promise.all([
      start('proxy', client),
      start('gateway', { ...client, WAIL_GATEWAY_SUBSCRIPTIONS_TOPIC: subscriptionsTopic }),
    ]);
  }, 180_000);

  afterAll(async () => {
    for (const service of running.reverse()) await service.stop();
    const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await mysql.close();
    const kafka = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-https-teardown',
      logger: silentLogger(),
    });
    await kafka.deleteTopics([subscriptionsTopic]).catch(() => undefined);
    await kafka.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('answers /readyz over HTTPS to a client that trusts the CA', async () => {
    for (const service of [repository, proxy, gateway]) {
      expect(service.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await httpsGet(`${service.url}/readyz`, ca)).toMatchObject({ status: 200 });
    }
  });

  it('gives no answer to plain HTTP on the same port', async () => {
    for (const service of [repository, proxy, gateway])
      await expect(fetch(`http://127.0.0.1:${service.port}/readyz`)).rejects.toThrow();
  });

  it('fails verification for a client that does not trust the CA', async () => {
    // Node's default roots (this machine's, NODE_EXTRA_CA_CERTS included) lack the test CA.
    // A server that trusts the CA itself (the proxy, the gateway) sends it after its
    // certificate, as OpenSSL completes the chain from its store: a self-signed CA in the chain.
    for (const service of [repository, proxy, gateway])
      await expect(httpsGet(`${service.url}/readyz`, undefined)).rejects.toMatchObject({
        code: expect.stringMatching(
          /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/,
        ),
      });
  });

  it('lets the proxy and the gateway read routes over HTTPS, trusting the CA through NODE_EXTRA_CA_CERTS', async () => {
    const readiness = JSON.parse((await httpsGet(`${gateway.url}/readyz`, ca)).body) as {
      checks: Record<string, { status: string }>;
    };
    expect(readiness.checks['repository']).toMatchObject({ status: 'up' });
    // Routes loaded: the table is unknown, not the repository unreachable.
    const rows = `/v1/tables/${name}_none/rows?id=1`;
    expect(await httpsGet(`${proxy.url}${rows}`, ca)).toMatchObject({
      status: 404,
      body: expect.stringContaining('UNKNOWN_TABLE'),
    });

    const distrustful = await startServiceProcess(
      'proxy',
      { ...tlsEnv, WAIL_REPOSITORY_URL: repository.url },
      { ca },
    );
    running.push(distrustful);
    expect(await httpsGet(`${distrustful.url}${rows}`, ca)).toMatchObject({
      status: 503,
      body: expect.stringContaining('REPOSITORY_UNAVAILABLE'),
    });
  });

  it("serves the gateway's gRPC over TLS with the same certificate", async () => {
    const address = gateway.grpcAddress!;
    const trusted = await emptySubscribe(address, credentials.createSsl(ca));
    expect(trusted.details).toContain('ended its requests before an open');

    const untrusted = await emptySubscribe(address, credentials.createSsl());
    expect(untrusted.details).not.toContain('before an open');
    expect(untrusted.details).toMatch(/certificate/i);

    const plaintext = new Client(address, credentials.createInsecure());
    await expect(
      new Promise<void>((resolve, reject) =>
        waitForClientReady(plaintext, Date.now() + 3000, (error) =>
          error ? reject(error) : resolve(),
        ),
      ),
    ).rejects.toThrow();
    plaintext.close();
  });

  it.each([
    {
      refused: 'a key that is not the certificate’s',
      service: 'repository' as const,
      env: () => ({
        ...tlsEnv,
        WAIL_TLS_KEY_FILE: file('other.key'),
        WAIL_REPOSITORY_DATABASE: database,
      }),
      says: /WAIL_TLS_KEY_FILE \(.*\) is not the key of the certificate in WAIL_TLS_CERT_FILE/,
    },
    {
      refused: 'a key file that does not exist',
      service: 'proxy' as const,
      env: () => ({ ...tlsEnv, WAIL_TLS_KEY_FILE: file('missing.key') }),
      says: /WAIL_TLS_KEY_FILE \(.*missing\.key.*\): cannot be read \(ENOENT\)/,
    },
    {
      refused: 'a certificate without a key',
      service: 'gateway' as const,
      env: () => ({ WAIL_TLS_CERT_FILE: file('server.crt') }),
      says: /WAIL_TLS_CERT_FILE is set without WAIL_TLS_KEY_FILE/,
    },
  ])('refuses to start the $service with $refused', async ({ service, env, says }) => {
    const { code, output } = await runServiceUntilExit(service, env());
    expect(code).toBe(1);
    expect(output).toMatch(says);
  });
});
