import { PublishedVersions } from './published-versions';

describe('PublishedVersions', () => {
  it('answers the newest version confirmed or held, and never lowers a confirmed one', () => {
    const published = new PublishedVersions();
    const holder = {};
    expect(published.get('k')).toBeUndefined();
    published.confirm({ keyId: 'k', version: 5n });
    published.confirm({ keyId: 'k', version: 3n });
    expect(published.get('k')).toBe(5n);
    published.hold(holder, { keyId: 'k', version: 8n });
    expect(published.get('k')).toBe(8n);
  });

  it('keeps what a holder holds beyond the version it committed, and forgets it with the holder', () => {
    const published = new PublishedVersions();
    const holder = {};
    published.hold(holder, { keyId: 'k', version: 5n });
    published.hold(holder, { keyId: 'k', version: 8n });
    published.committed(holder, { keyId: 'k', version: 5n });
    expect(published.get('k')).toBe(8n);
    published.forget(holder);
    expect(published.get('k')).toBe(5n);
  });

  it('forgets the least recently used confirmed versions beyond its bound', () => {
    const published = new PublishedVersions(2);
    for (const keyId of ['a', 'b', 'c']) published.confirm({ keyId, version: 1n });
    expect(['a', 'b', 'c'].map((k) => published.get(k))).toEqual([undefined, 1n, 1n]);
  });
});
