import type { ScanCondition } from '@wail/store';

/** A backfill run's checkpoint, as the repository keeps it (`/v1/backfills/{table}`). */
export interface Checkpoint {
  runId: string;
  status: 'running' | 'done' | 'failed';
  cursor: string | null;
  where: ScanCondition[];
  ratePerSecond: number | null;
  chunkSize: number;
  rowsScanned: number;
  refreshesAppended: number;
  chunksDone: number;
  estimatedRows: number | null;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface StoredCheckpoint extends Checkpoint {
  updatedAt: string;
}

/** The repository's backfill checkpoints over HTTP (read token for reads, write token for writes). */
export class CheckpointClient {
  constructor(private readonly options: { url: string; readToken?: string; writeToken?: string }) {}

  async get(table: string): Promise<StoredCheckpoint | undefined> {
    const response = await this.call('GET', `/v1/backfills/${encodeURIComponent(table)}`);
    if (response.status === 404) return undefined;
    return (await this.body(response)) as StoredCheckpoint;
  }

  async list(): Promise<(StoredCheckpoint & { table: string })[]> {
    const response = await this.call('GET', '/v1/backfills');
    return ((await this.body(response)) as { backfills: (StoredCheckpoint & { table: string })[] })
      .backfills;
  }

  async put(table: string, checkpoint: Checkpoint, force = false): Promise<StoredCheckpoint> {
    const response = await this.call(
      'PUT',
      `/v1/backfills/${encodeURIComponent(table)}${force ? '?force=true' : ''}`,
      checkpoint,
    );
    return (await this.body(response)) as StoredCheckpoint;
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const token = method === 'GET' ? this.options.readToken : this.options.writeToken;
    return fetch(`${this.options.url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  }

  private async body(response: Response): Promise<unknown> {
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // Not JSON: the text.
      }
      throw new Error(`schema repository answered ${response.status}: ${message}`);
    }
    return JSON.parse(text) as unknown;
  }
}
