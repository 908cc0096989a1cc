import type { Type } from 'avsc';
import {
  DEFAULT_CLAIM_CHECK_BYTES,
  DEFAULT_CLUSTER,
  avroType,
  envelopeHasClaimCheck,
  type ModelVersionDetail,
} from '@wail/contracts';
import type { RepositoryClient } from '@wail/control-plane';
import { RowMapper } from './row-mapper';

/** A data model version, ready to encode events. */
export interface ResolvedModel {
  table: string;
  version: number;
  eventTopic: string;
  /** Where its events go: the model's `eventCluster`, else the consumer's `WAIL_CONSUMER_EVENT_CLUSTER`. */
  eventCluster: string;
  keySchemaId: number;
  valueSchemaId: number;
  keyType: Type;
  valueType: Type;
  rowMapper: RowMapper;
  keyMapper: RowMapper;
  /** Encoded event values larger than this are claim-checked, when the consumer has an object store. */
  claimCheckBytes: number;
  /** Whether its envelope has the `claimCheck` field (envelopes registered before it do not). */
  claimChecks: boolean;
}

/**
 * The latest data model of each table, fetched from the repository when the
 * route listing announces a new model version, so a new version is used
 * without a restart. Key and envelope schemas are fetched by id (the same
 * schemas consumers will resolve from the id in each event).
 */
export class ModelCache {
  private readonly models = new Map<string, Promise<ResolvedModel | undefined>>();
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly client: RepositoryClient,
    /** Called once per newly loaded model, before it is used (e.g. to create its event topic). */
    private readonly onModel: (model: ResolvedModel) => Promise<void> = async () => undefined,
    private readonly defaultEventCluster = DEFAULT_CLUSTER,
  ) {}

  /** The model of `table` at (at least) `announcedVersion`; undefined when the table has none. */
  get(table: string, announcedVersion: number | null): Promise<ResolvedModel | undefined> {
    const cached = this.models.get(table);
    if (cached && announcedVersion !== null && this.versions.get(table) === announcedVersion)
      return cached;
    if (cached && announcedVersion === null && this.versions.has(table)) return cached;
    const loading = this.load(table).then(
      (model) => {
        if (model) this.versions.set(table, model.version);
        else this.models.delete(table);
        return model;
      },
      (error: unknown) => {
        this.models.delete(table);
        throw error;
      },
    );
    this.models.set(table, loading);
    return loading;
  }

  private async load(table: string): Promise<ResolvedModel | undefined> {
    const model: ModelVersionDetail | undefined = await this.client.model(table, 'latest');
    if (!model) return undefined;
    const [keySchema, valueSchema] = await Promise.all([
      this.client.schemaById(model.keySchemaId),
      this.client.schemaById(model.valueSchemaId),
    ]);
    const keyJson = JSON.parse(keySchema) as Record<string, unknown>;
    const resolved: ResolvedModel = {
      table,
      version: model.version,
      eventTopic: model.eventTopic,
      eventCluster: model.eventCluster ?? this.defaultEventCluster,
      keySchemaId: model.keySchemaId,
      valueSchemaId: model.valueSchemaId,
      keyType: avroType(keyJson),
      valueType: avroType(valueSchema),
      claimCheckBytes: model.claimCheckBytes ?? DEFAULT_CLAIM_CHECK_BYTES,
      claimChecks: envelopeHasClaimCheck(JSON.parse(valueSchema) as Record<string, unknown>),
      rowMapper: new RowMapper(model.schema),
      keyMapper: new RowMapper(keyJson),
    };
    await this.onModel(resolved);
    return resolved;
  }
}
