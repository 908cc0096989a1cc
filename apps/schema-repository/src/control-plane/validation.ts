import { DEFAULT_CLUSTER, checkRoute } from '@wail/contracts';
import type { SchemaBounds } from '../avro/schema-bounds';
import { controlPlaneErrors as errors } from './errors';
import { buildModelSchemas, type ModelSchemas } from './data-model';
import type { TableRoute } from './table-route';
import { eventTopicProblems, type TopicPolicy } from './topic-policy';

/**
 * Everything the control plane checks about a route body without reading
 * other routes or models (those rules are in `TopicClaims`). Pure, so the
 * fuzz suite drives exactly what a PUT runs.
 */
export function validateRoute(table: string, body: unknown, topics: TopicPolicy): TableRoute {
  const checked = checkRoute(table, body, topics);
  if (!checked.ok) throw errors.invalidRoute(checked.problems.join('; '));
  return checked.value;
}

/** Everything the control plane checks about a model body on its own; see `validateRoute`. */
export function validateModel(
  table: string,
  route: TableRoute,
  body: unknown,
  topics: TopicPolicy,
  bounds?: SchemaBounds,
): ModelSchemas {
  const input = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  if (input['schema'] === undefined) throw errors.invalidModel('"schema" is required');
  const model = buildModelSchemas(
    table,
    route,
    input['schema'],
    input['eventTopic'],
    input['eventCluster'],
    bounds,
    input['claimCheckBytes'],
  );
  const problems = eventTopicProblems(model.eventTopic, topics);
  const clusters = topics.clusters ?? [DEFAULT_CLUSTER];
  if (model.eventCluster !== undefined && !clusters.includes(model.eventCluster))
    problems.push(
      `"eventCluster" ${JSON.stringify(model.eventCluster)} is not a cluster of WAIL_KAFKA_CLUSTERS (${clusters.join(', ')})`,
    );
  if (problems.length > 0) throw errors.invalidModel(problems.join('; '));
  return model;
}
