import { rootErrorCode } from './error-code';

describe('rootErrorCode', () => {
  it('finds the deepest constant code along causes, aggregate errors and per-host errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:9092'), {
      code: 'ECONNREFUSED',
    });
    const wrapped = Object.assign(new Error('outer', { cause: refused }), { code: 'OUTER_CODE' });
    expect(rootErrorCode(wrapped)).toBe('ECONNREFUSED');
    expect(rootErrorCode(new AggregateError([new Error('x'), refused]))).toBe('ECONNREFUSED');
    expect(rootErrorCode({ innerErrors: { host: refused } })).toBe('ECONNREFUSED');
    expect(rootErrorCode({ type: 'MESSAGE_TOO_LARGE', code: 10 })).toBe('MESSAGE_TOO_LARGE');
  });

  it('returns nothing for codes that are not constants, or no code', () => {
    expect(rootErrorCode(Object.assign(new Error('x'), { code: 'mysql://a:b@c' }))).toBeUndefined();
    expect(rootErrorCode(new Error('plain'))).toBeUndefined();
    expect(rootErrorCode('text')).toBeUndefined();
  });
});
