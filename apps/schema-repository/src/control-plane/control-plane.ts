import {
  routeNamespace,
  sameLocation,
  type DrainSource,
  type IntentLocation,
  type ModelVersion,
  type ModelVersionDetail,
  type RouteListing,
  type StoredRoute,
} from '@wail/contracts';
import type { Pool } from 'mysql2/promise';
import type { SchemaRegistry } from '../registry/schema-registry';
import type { Stores } from '../storage/stores';
import { validateCheckpoint, type BackfillCheckpoint } from './backfill-checkpoint';
import { BACKFILL_STALE_MS, controlPlaneErrors as errors } from './errors';
import type { StoredModel } from './model-store';
import type { RouteFit } from './route-fit';
import { controlStores, type ControlStores } from './stores';
import { parseSpec } from './route-store';
import { assertTableName, type TableRoute } from './table-route';
import { TopicClaims } from './topic-claims';
import { DEFAULT_TOPIC_POLICY, type TopicPolicy } from './topic-policy';
import { validateModel, validateRoute } from './validation';

/**
 * Table routes and data models. Every change appends to the change log, whose
 * revision proxies and consumers poll.
 */
export class ControlPlane {
  private readonly stores: Stores<ControlStores>;
  private readonly topicClaims: TopicClaims;

  constructor(
    pool: Pool,
    private readonly registry: SchemaRegistry,
    private readonly fit?: RouteFit,
    private readonly topics: TopicPolicy = DEFAULT_TOPIC_POLICY,
  ) {
    this.stores = controlStores(pool);
    this.topicClaims = new TopicClaims(this.stores);
  }

  // ---- backfill checkpoints ------------------------------------------------

  async listBackfills(): Promise<(BackfillCheckpoint & { table: string })[]> {
    return this.stores.autocommit.backfills.list();
  }

  async getBackfill(table: string): Promise<BackfillCheckpoint> {
    assertTableName(table);
    const checkpoint = await this.stores.autocommit.backfills.get(table);
    if (!checkpoint) throw errors.backfillNotFound(table);
    return checkpoint;
  }

  /**
   * Stores a run's checkpoint. A table has one backfill at a time: another
   * run's checkpoint that is still `running` and was written less than
   * BACKFILL_STALE_MS ago is 409 BACKFILL_RUNNING unless `force`; a stale or
   * finished one is taken over. The table must have a route; the body is
   * validated here (422 INVALID_BACKFILL), as every control-plane body is.
   */
  async putBackfill(table: string, body: unknown, force = false): Promise<BackfillCheckpoint> {
    await this.getRoute(table);
    const checkpoint = validateCheckpoint(body);
    return this.stores.transaction(async (tx) => {
      const stored = await tx.backfills.get(table, true);
      if (stored && stored.runId !== checkpoint.runId && stored.status === 'running' && !force) {
        const age = (await tx.backfills.age(table)) ?? 0;
        if (age < BACKFILL_STALE_MS) throw errors.backfillRunning(table, stored.runId, age);
      }
      await tx.backfills.put(table, checkpoint);
      return (await tx.backfills.get(table))!;
    });
  }

  async deleteBackfill(table: string): Promise<BackfillCheckpoint> {
    const checkpoint = await this.getBackfill(table);
    if (!(await this.stores.autocommit.backfills.delete(table)))
      throw errors.backfillNotFound(table);
    return checkpoint;
  }

  async revision(): Promise<number> {
    return this.stores.autocommit.changes.revision();
  }

  async listRoutes(): Promise<RouteListing> {
    const { routes, models, changes } = this.stores.autocommit;
    const stored = await routes.list();
    const latest = await models.latestVersions();
    return {
      revision: await changes.revision(),
      tables: stored.map((route) => ({ ...route, modelVersion: latest.get(route.table) ?? null })),
    };
  }

  async getRoute(table: string): Promise<StoredRoute> {
    assertTableName(table);
    const route = await this.stores.autocommit.routes.get(table);
    if (!route) throw errors.tableNotFound(table);
    return route;
  }

  /** Idempotent: putting the same route again changes nothing, not even the revision. */
  async putRoute(table: string, body: unknown): Promise<StoredRoute> {
    const route = validateRoute(table, body, this.topics);
    const problems = (await this.fit?.problems(table, route)) ?? [];
    if (problems.length > 0) {
      const where = [routeNamespace(route), route.schema, route.physicalTable]
        .filter((part) => part !== undefined)
        .join('.');
      throw errors.invalidRoute(
        `it does not fit ${route.store} table ${where}: ${problems.join('; ')}`,
      );
    }
    return this.topicClaims.exclusive(async (tx) => {
      await this.topicClaims.assertIntentTopicFree(tx, table, route.intentTopic);
      if (route.keyPrefix !== undefined) await assertKeyPrefixFree(tx, table, route.keyPrefix);
      const current = await tx.routes.lock(table);
      const { resolved, moves } = resolveDrain(
        table,
        route,
        current ? parseSpec(current.spec) : undefined,
      );
      if (current && current.spec === JSON.stringify(resolved))
        return { ...resolved, revision: current.revision };
      const revision = await tx.changes.record('route', table);
      const next: TableRoute = moves
        ? { ...resolved, drainFrom: { ...moves, revision } }
        : resolved;
      await tx.routes.put(table, JSON.stringify(next), revision);
      return { ...next, revision };
    });
  }

  async deleteRoute(table: string): Promise<StoredRoute> {
    const route = await this.getRoute(table);
    await this.stores.transaction(async (tx) => {
      if (!(await tx.routes.delete(table))) throw errors.tableNotFound(table);
      await tx.changes.record('route', table);
    });
    return route;
  }

  /**
   * Registers a data model version: derives the key and envelope schemas,
   * registers them under `<topic>-key` and `<topic>-value` (the subjects'
   * compatibility levels apply; an incompatible envelope answers 409 with the
   * reasons) and records the version. Registering the latest model again
   * (the same schema, event topic and event cluster) returns it unchanged.
   */
  async registerModel(table: string, body: unknown): Promise<ModelVersion> {
    const route = await this.getRoute(table);
    const model = validateModel(table, route, body, this.topics, this.registry.bounds);
    const unchanged = (latest: StoredModel | undefined): latest is StoredModel =>
      latest !== undefined &&
      latest.schemaText === model.canonical &&
      latest.eventTopic === model.eventTopic &&
      latest.eventCluster === model.eventCluster &&
      latest.claimCheckBytes === model.claimCheckBytes;

    const latest = await this.stores.autocommit.models.get(table, 'latest');
    if (unchanged(latest)) return summary(latest);

    // The topic is checked before its subjects are touched, under the lock
    // that keeps it checked until the version is recorded.
    return this.topicClaims.exclusive(async (tx) => {
      const current = await tx.models.get(table, 'latest');
      if (unchanged(current)) return summary(current);
      await this.topicClaims.assertEventTopicFree(tx, table, model.eventTopic);
      const key = await this.registry.register(`${model.eventTopic}-key`, {
        schema: JSON.stringify(model.keySchema),
      });
      const value = await this.registry.register(`${model.eventTopic}-value`, {
        schema: JSON.stringify(model.valueSchema),
      });
      const version = await tx.models.lockNextVersion(table);
      const revision = await tx.changes.record('model', table);
      const registered = {
        table,
        version,
        keySchemaId: key.id,
        valueSchemaId: value.id,
        eventTopic: model.eventTopic,
        ...(model.eventCluster === undefined ? {} : { eventCluster: model.eventCluster }),
        claimCheckBytes: model.claimCheckBytes,
      };
      await tx.models.insert({ ...registered, schemaText: model.canonical, revision });
      return registered;
    });
  }

  async listModelVersions(table: string): Promise<number[]> {
    assertTableName(table);
    const versions = await this.stores.autocommit.models.versions(table);
    if (versions.length === 0) throw errors.modelNotFound(table);
    return versions;
  }

  async getModel(table: string, version: number | 'latest'): Promise<ModelVersionDetail> {
    assertTableName(table);
    const stored = await this.stores.autocommit.models.get(table, version);
    if (!stored)
      throw version === 'latest'
        ? errors.modelNotFound(table)
        : errors.modelVersionNotFound(table, version);
    return {
      table,
      version: stored.version,
      schema: JSON.parse(stored.schemaText) as Record<string, unknown>,
      keySchemaId: stored.keySchemaId,
      valueSchemaId: stored.valueSchemaId,
      eventTopic: stored.eventTopic,
      ...(stored.eventCluster === undefined ? {} : { eventCluster: stored.eventCluster }),
      claimCheckBytes: stored.claimCheckBytes,
      keySubject: `${stored.eventTopic}-key`,
      valueSubject: `${stored.eventTopic}-value`,
      revision: stored.revision,
    };
  }
}

function summary(model: StoredModel): ModelVersion {
  return {
    table: model.table,
    version: model.version,
    keySchemaId: model.keySchemaId,
    valueSchemaId: model.valueSchemaId,
    eventTopic: model.eventTopic,
    ...(model.eventCluster === undefined ? {} : { eventCluster: model.eventCluster }),
    claimCheckBytes: model.claimCheckBytes,
  };
}

/**
 * A Redis row is the hash at `<keyPrefix>:<key>`, a composite key's columns
 * joined by `:`: two tables whose prefixes are equal, or one the other's
 * plus `:…`, could name one hash. 409: the route may succeed once the other
 * table moves.
 */
async function assertKeyPrefixFree(tx: ControlStores, table: string, keyPrefix: string) {
  for (const { table: other, keyPrefix: taken } of await tx.routes.redisKeyPrefixes()) {
    if (other === table) continue;
    const nested = (a: string, b: string) => a === b || a.startsWith(`${b}:`);
    if (nested(keyPrefix, taken) || nested(taken, keyPrefix))
      throw errors.keyPrefixConflict(
        `"keyPrefix" ${JSON.stringify(keyPrefix)} of table "${table}" ${keyPrefix === taken ? 'is' : 'nests with'} the key prefix ${JSON.stringify(taken)} of table "${other}": their rows could share a Redis key`,
      );
  }
}

/**
 * The route to store, given the one stored: a PUT that changes where the
 * table's intents go (cluster or topic) starts a move — `drainFrom` names the
 * old location (its revision is the one this PUT gets, filled in by the
 * caller from `moves`) — and a move in progress stays until a PUT of the
 * same location says `"drainFrom": null` (docs/reshaping.md). Moving again
 * before that is 409, even in the PUT that ends the move.
 */
export function resolveDrain(
  table: string,
  requested: TableRoute,
  stored: TableRoute | undefined,
): { resolved: TableRoute; moves?: IntentLocation } {
  const { drainFrom: asked, ...route } = requested;
  const inProgress = stored?.drainFrom ?? undefined;
  if (asked && !inProgress) throw errors.invalidRoute(`"drainFrom": table ${table} is not moving`);
  if (!stored || sameLocation(route, stored)) {
    if (asked === null || inProgress === undefined) return { resolved: route };
    if (asked && !sameDrain(asked, inProgress))
      throw errors.invalidRoute(
        `"drainFrom" is not the move in progress (${describeDrain(inProgress)}): put it back as read, or null to end the move`,
      );
    return { resolved: { ...route, drainFrom: inProgress } };
  }
  // Ending a move and starting another take two PUTs: the end is the
  // operator's word that the drain check passed, never a side effect.
  if (inProgress)
    throw errors.moveInProgress(
      `table ${table} is still draining from ${describeDrain(inProgress)}; end that move first (PUT its route unchanged with "drainFrom": null once the drain check passes), then move it again`,
    );
  return {
    resolved: route,
    moves: { intentCluster: stored.intentCluster, intentTopic: stored.intentTopic },
  };
}

/** Field by field: a client may send the object back with its keys in any order. */
function sameDrain(a: DrainSource, b: DrainSource): boolean {
  return (
    a.intentCluster === b.intentCluster &&
    a.intentTopic === b.intentTopic &&
    a.revision === b.revision
  );
}

function describeDrain(source: IntentLocation & { revision: number }): string {
  return `topic ${source.intentTopic} on cluster ${source.intentCluster} (moved at revision ${source.revision})`;
}
