import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { REDACTED, Scrubber, scrubUrlCredentials } from './redaction';

const PASSWORD = 'S3cr3t#/pw-51f0';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('scrubUrlCredentials', () => {
  it('replaces the password of a URL, encoded or not, and keeps the rest', () => {
    expect(scrubUrlCredentials('at mysql://app:pw@db:3306/shop now')).toBe(
      `at mysql://app:${REDACTED}@db:3306/shop now`,
    );
    expect(scrubUrlCredentials(`"input":"mysql://app:${PASSWORD}@db:3306"`)).toBe(
      `"input":"mysql://app:${REDACTED}@db:3306"`,
    );
    expect(scrubUrlCredentials('http://127.0.0.1:8081/v1/tables')).toBe(
      'http://127.0.0.1:8081/v1/tables',
    );
  });
});

describe('Scrubber', () => {
  it('replaces known secrets in raw and JSON-escaped form', () => {
    const scrubber = new Scrubber(['tok"en\\0123456789']);
    expect(scrubber.scrub(JSON.stringify({ msg: 'tok"en\\0123456789 and more' }))).toBe(
      JSON.stringify({ msg: `${REDACTED} and more` }),
    );
  });
});

describe('createLogger', () => {
  it("scrubs secrets from every line, a child's and an error's too", () => {
    const { lines, destination } = capture();
    const logger = createLogger({
      service: 'test',
      secrets: [PASSWORD, 'repository-token-0123456789'],
      destination,
    });
    let invalidUrl: unknown;
    try {
      new URL(`mysql://app:${PASSWORD}@db:3306`);
    } catch (error) {
      invalidUrl = error;
    }
    logger.child({ component: 'x' }).error({ err: invalidUrl }, 'failed to start');
    logger.info({ note: `the token is repository-token-0123456789` }, 'oops');
    logger.info(
      { password: 'other-secret-1', headers: { authorization: 'Bearer abc-secret-2' } },
      'config',
    );
    const output = lines.join('');
    expect(lines).toHaveLength(3);
    expect(output).not.toMatch(/S3cr3t|pw-51f0|repository-token|other-secret|abc-secret/);
    expect(output).toContain(REDACTED);
    expect(output).toContain('ERR_INVALID_URL');
  });
});
