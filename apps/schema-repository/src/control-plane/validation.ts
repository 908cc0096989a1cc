import type { SchemaBounds } from '../avro/schema-bounds';
import { controlPlaneErrors as errors } from './errors';
import { buildModelSchemas, type ModelSchemas } from './data-model';
import { parseTableRoute, type TableRoute } from './table-route';
import { eventTopicProblems, intentTopicProblems, type TopicPolicy } from './topic-policy';

/**
 * Everything the control plane checks about a route body without reading
 * other routes or models (those rules are in `TopicClaims`). Pure, so the
 * fuzz suite drives exactly what a PUT runs.
 */
export function validateRoute(table: string, body: unknown, topics: TopicPolicy): TableRoute {
  const route = parseTableRoute(table, body);
  const problems = intentTopicProblems(route.intentTopic, topics);
  if (problems.length > 0) throw errors.invalidRoute(problems.join('; '));
  return route;
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
  const model = buildModelSchemas(table, route, input['schema'], input['eventTopic'], bounds);
  const problems = eventTopicProblems(model.eventTopic, topics);
  if (problems.length > 0) throw errors.invalidModel(problems.join('; '));
  return model;
}
