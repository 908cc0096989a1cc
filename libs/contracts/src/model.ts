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
}

/** A data model version as `GET /v1/models/{table}/versions/{n|latest}` answers it. */
export interface ModelVersionDetail extends ModelVersion {
  /** The table's Avro record (field name = column name), normalized. */
  schema: Record<string, unknown>;
  keySubject: string;
  valueSubject: string;
  revision: number;
}
