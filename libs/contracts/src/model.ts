/**
 * A table's claim-check threshold (docs/claim-checks.md): an event whose
 * encoded value is larger goes to the object store and the event carries a
 * pointer. 900 KB by default, below Kafka's default 1 MB record limit.
 */
export const DEFAULT_CLAIM_CHECK_BYTES = 900_000;
export const CLAIM_CHECK_BYTES_BOUNDS = { min: 1024, max: 100_000_000 } as const;

/** A data model version as `POST /v1/models/{table}/versions` answers it. */
export interface ModelVersion {
  table: string;
  version: number;
  keySchemaId: number;
  valueSchemaId: number;
  eventTopic: string;
  /**
   * The Kafka cluster (a name of `WAIL_KAFKA_CLUSTERS`) its events go to;
   * absent: the publishing consumer's `WAIL_CONSUMER_EVENT_CLUSTER`.
   */
  eventCluster?: string;
  /** Encoded event values larger than this are claim-checked (when the consumer has an object store). */
  claimCheckBytes: number;
}

/** A data model version as `GET /v1/models/{table}/versions/{n|latest}` answers it. */
export interface ModelVersionDetail extends ModelVersion {
  /** The table's Avro record (field name = column name), normalized. */
  schema: Record<string, unknown>;
  keySubject: string;
  valueSubject: string;
  revision: number;
}
