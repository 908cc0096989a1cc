import { LruCache } from '@wail/runtime';

/** The version of a key an event carries. */
export interface KeyVersion {
  keyId: string;
  version: bigint;
}

/**
 * The last version published per key, shared by the partitions a member holds:
 * the never-older guard, and intents an event already covers skip their read.
 *
 * Two tiers. A *confirmed* version is in Kafka (acknowledged, or in a committed
 * transaction) and is only forgotten by the bound. A *held* version waits in an
 * exactly-once partition's outbox: it counts like a published one while the
 * outbox lives, and is forgotten with that outbox alone when the partition is
 * dropped (a failed transaction, a rebalance) — another partition's versions,
 * already committed, still guard against a duplicate of their intents (a
 * forwarded intent appended twice during a move).
 *
 * Bounded: a confirmed version forgotten this way makes the key's next round
 * read again; only a lagging replica read could then publish an older
 * version, which is why the bound is large. Held versions are bounded by the
 * outboxes.
 */
export class PublishedVersions {
  private readonly confirmed: LruCache<string, bigint>;
  /** Per holder (an exactly-once partition), the newest version of each key its outbox holds. */
  private readonly held = new Map<object, Map<string, bigint>>();

  constructor(limit = 200_000) {
    this.confirmed = new LruCache<string, bigint>(limit);
  }

  /** The newest version of the key in Kafka or in a live outbox. */
  get(keyId: string): bigint | undefined {
    let newest = this.confirmed.get(keyId);
    for (const versions of this.held.values()) {
      const version = versions.get(keyId);
      if (version !== undefined && (newest === undefined || version > newest)) newest = version;
    }
    return newest;
  }

  /** The event is in Kafka. */
  confirm({ keyId, version }: KeyVersion): void {
    const known = this.confirmed.get(keyId);
    if (known === undefined || version > known) this.confirmed.set(keyId, version);
  }

  /** The event waits in `holder`'s outbox. */
  hold(holder: object, { keyId, version }: KeyVersion): void {
    let versions = this.held.get(holder);
    if (!versions) {
      versions = new Map();
      this.held.set(holder, versions);
    }
    const known = versions.get(keyId);
    if (known === undefined || version > known) versions.set(keyId, version);
  }

  /** `holder` committed the event: confirmed, and no longer held unless its outbox has a newer one of the key. */
  committed(holder: object, event: KeyVersion): void {
    this.confirm(event);
    const versions = this.held.get(holder);
    if (!versions) return;
    const known = versions.get(event.keyId);
    if (known !== undefined && known <= event.version) versions.delete(event.keyId);
    if (versions.size === 0) this.held.delete(holder);
  }

  /** `holder`'s outbox is gone uncommitted: the versions it held were never published. */
  forget(holder: object): void {
    this.held.delete(holder);
  }
}
