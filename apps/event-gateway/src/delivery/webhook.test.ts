import { backoff, signature, webhookUrlProblem } from './webhook';

const settings = {
  batch: 100,
  lingerMs: 20,
  timeoutMs: 1000,
  maxAttempts: 5,
  backoffMs: 500,
  maxBackoffMs: 4000,
};

describe('webhook retries', () => {
  it('double from the first delay up to the longest, with equal jitter', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoff(n, settings, () => 1))).toEqual([
      500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect([1, 2, 3, 4].map((n) => backoff(n, settings, () => 0))).toEqual([250, 500, 1000, 2000]);
  });
});

describe('webhook signatures', () => {
  it('are the hex HMAC-SHA256 of the body with the secret', () => {
    // RFC 4231 test case 2.
    expect(signature('Jefe', 'what do ya want for nothing?')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('webhook URLs', () => {
  it.each(['https://hooks.example.com/wail', 'http://127.0.0.1:9000/h', 'http://[::1]:80/'])(
    'accepts %s',
    (url) => expect(webhookUrlProblem(url)).toBeUndefined(),
  );

  it.each([
    ['not a url', /not a URL/],
    ['ftp://example.com/', /http/],
    ['file:///etc/passwd', /http/],
    ['https://user:pw@example.com/', /credentials/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[fd00:ec2::254]/', /link-local/],
    ['http://0.0.0.0:8080/', /unspecified/],
    ['http://[::]:8080/', /unspecified/],
  ])('refuses %s', (url, why) => expect(webhookUrlProblem(url)).toMatch(why));
});
