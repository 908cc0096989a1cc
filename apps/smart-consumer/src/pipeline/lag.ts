/** Kafka's offsets of one intent partition. */
export interface PartitionOffsets {
  /** The first offset still kept (where a group without a committed offset starts: fromBeginning). */
  low: bigint;
  /** The high watermark: the offset the next record appended gets. */
  high: bigint;
  /** The group's committed offset (the next one it reads), when it has one. */
  committed?: bigint | undefined;
}

export interface LagSources {
  /** The partitions this member owns now, by topic. */
  owned(): ReadonlyMap<string, ReadonlySet<number>>;
  /** The next offset this member would commit for a partition it holds (everything below is done); undefined before it saw a record of it. */
  position(topic: string, partition: number): bigint | undefined;
  /**
   * The Kafka timestamp (ms) of the oldest record of a partition this member
   * holds and has not finished; when it finished all it saw, that of the
   * newest one (anything not fetched yet is newer); undefined before any.
   */
  oldestTimestamp?(topic: string, partition: number): number | undefined;
  /** Kafka's offsets of every partition of these topics (a Kafka round trip). */
  offsets(
    topics: readonly string[],
  ): Promise<ReadonlyMap<string, ReadonlyMap<number, PartitionOffsets>>>;
}

export interface LagOptions {
  /** Kafka's offsets are fetched at most this often (default 1 s). */
  cacheMs?: number;
  /** A scrape waits at most this long for Kafka (default 2 s); past it the lag is left out. */
  timeoutMs?: number;
  now?: () => number;
  /** A fetch that failed or timed out. */
  onFailure?: (error: unknown) => void;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Records appended to the partition that this member has not finished yet. */
  records: bigint;
  /**
   * How far behind in time: 0 without lag, else the age of the oldest record
   * not finished (an upper bound when none of them is fetched yet: the age of
   * the newest record finished); undefined when this member has seen none.
   */
  seconds: number | undefined;
}

type Offsets = ReadonlyMap<string, ReadonlyMap<number, PartitionOffsets>>;

/**
 * Consumer lag per owned partition, read at scrape time: the high watermark
 * minus the next offset this member has processed up to (or, before it saw
 * a record of the partition, the group's committed offset, or the low
 * watermark where it has none). Kafka's offsets are cached `cacheMs`; a
 * scrape waits for them at most `timeoutMs`, so a slow Kafka never hangs
 * one: the lag is then left out (unknown), and the request in flight is
 * reused by the next scrape instead of piling up another.
 */
export class LagReader {
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private cached: { topics: string; at: number; offsets: Offsets } | undefined;
  private inFlight: { topics: string; fetched: Promise<Offsets> } | undefined;

  constructor(
    private readonly sources: LagSources,
    private readonly options: LagOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.now = options.now ?? Date.now;
  }

  /** The lag of every partition this member owns; empty when Kafka did not answer in time. */
  async lag(): Promise<PartitionLag[]> {
    const owned = this.sources.owned();
    const topics = [...owned.keys()].filter((topic) => owned.get(topic)!.size > 0).sort();
    if (topics.length === 0) return [];
    const offsets = await this.offsets(topics);
    if (!offsets) return [];
    const lags: PartitionLag[] = [];
    // Owned now, after the wait: a partition revoked meanwhile has no series.
    for (const [topic, partitions] of this.sources.owned()) {
      for (const partition of [...partitions].sort((a, b) => a - b)) {
        const kafka = offsets.get(topic)?.get(partition);
        if (!kafka) continue;
        const position = this.sources.position(topic, partition) ?? startOf(kafka);
        const records = kafka.high > position ? kafka.high - position : 0n;
        lags.push({ topic, partition, records, seconds: this.seconds(topic, partition, records) });
      }
    }
    return lags;
  }

  private seconds(topic: string, partition: number, records: bigint): number | undefined {
    if (records === 0n) return 0;
    const oldest = this.sources.oldestTimestamp?.(topic, partition);
    if (oldest === undefined) return undefined;
    return Math.max(0, this.now() - oldest) / 1000;
  }

  private async offsets(topics: string[]): Promise<Offsets | undefined> {
    const key = topics.join('\u0000');
    const cached = this.cached;
    if (cached && cached.topics === key && this.now() - cached.at < this.cacheMs)
      return cached.offsets;
    let flight = this.inFlight;
    if (flight?.topics !== key) {
      const fetched = this.sources.offsets(topics).then((offsets) => {
        this.cached = { topics: key, at: this.now(), offsets };
        return offsets;
      });
      const entry = { topics: key, fetched };
      flight = this.inFlight = entry;
      void fetched.then(
        () => this.forget(entry),
        () => this.forget(entry),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([flight.fetched, timedOut]);
      if (outcome === 'timeout') {
        this.options.onFailure?.(new Error(`Kafka did not answer within ${this.timeoutMs} ms`));
        return undefined;
      }
      return outcome;
    } catch (error) {
      this.options.onFailure?.(error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private forget(entry: { topics: string; fetched: Promise<Offsets> }): void {
    if (this.inFlight === entry) this.inFlight = undefined;
  }
}

/** Where this group reads a partition from when this member has not seen a record of it. */
function startOf({ low, committed }: PartitionOffsets): bigint {
  if (committed === undefined || committed < low) return low;
  return committed;
}
