import { GENERIC, JSON_TYPE, REQUEST_BODY_TYPES, V1, negotiate } from './content-negotiation';

describe('negotiate', () => {
  it.each([
    [undefined, V1],
    ['', V1],
    ['application/json', JSON_TYPE],
    [
      'application/vnd.schemaregistry.v2+json;q=0.1, application/vnd.schemaregistry+json;q=0.9',
      GENERIC,
    ],
    ['*', V1],
    ['*/*', V1],
    ['application/*', V1],
    ['*/does_not_matter', V1],
    [
      'application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json',
      V1,
    ],
    ['text/*', undefined],
    ['application/octet-stream', undefined],
    ['application/vnd.schemaregistry.v2+json', undefined],
  ])('Accept %j → %j', (accept, expected) => {
    expect(negotiate(accept)).toBe(expected);
  });
});

describe('request body types', () => {
  it.each([
    'application/vnd.schemaregistry.v1+json',
    'application/vnd.schemaregistry+json',
    'application/json',
    'application/octet-stream',
    'application/vnd.schemaregistry.v1+json; charset=utf-8',
    'application/json; charset=utf-16',
  ])('accepts %s', (type) => expect(REQUEST_BODY_TYPES.test(type)).toBe(true));

  it.each(['text/html', 'application/xml', 'application/x-www-form-urlencoded'])(
    'refuses %s',
    (type) => expect(REQUEST_BODY_TYPES.test(type)).toBe(false),
  );
});
