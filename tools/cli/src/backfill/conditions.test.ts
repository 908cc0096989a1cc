import { parseCondition } from './conditions';

describe('--where conditions', () => {
  it.each([
    ['region=eu', { column: 'region', op: '=', value: 'eu' }],
    ['id>=1000', { column: 'id', op: '>=', value: 1000 }],
    ['id <= 5', { column: 'id', op: '<=', value: 5 }],
    ['deleted!=null', { column: 'deleted', op: '!=', value: null }],
    ['active=true', { column: 'active', op: '=', value: true }],
    ['name="a=b"', { column: 'name', op: '=', value: 'a=b' }],
    ['name=a>b', { column: 'name', op: '=', value: 'a>b' }],
    ['code="007"', { column: 'code', op: '=', value: '007' }],
    ['big=9007199254740993', { column: 'big', op: '=', value: '9007199254740993' }],
  ])('reads %s', (text, condition) => {
    expect(parseCondition(text)).toEqual(condition);
  });

  it.each([
    ['no operator', 'region'],
    ['no value', 'region='],
    ['no column', '=eu'],
    ['a column that is not a name', 'a b=1'],
    ['SQL in the column', 'id;DROP TABLE t;--=1'],
  ])('refuses %s', (_label, text) => {
    expect(() => parseCondition(text)).toThrow(/--where/);
  });
});
