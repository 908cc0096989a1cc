import { checkRouteSpec, tableNameProblem, type RouteSpec } from '@wail/contracts';
import { controlPlaneErrors as errors } from './errors';

/** A table route's spec (DESIGN.md, "Table routes"); declared in @wail/contracts. */
export type TableRoute = RouteSpec;

export function assertTableName(table: string): void {
  const problem = tableNameProblem(table);
  if (problem) throw errors.invalidRoute(problem);
}

/** Validates a `PUT /v1/tables/{table}` body and fills in the defaults; every problem is reported at once. */
export function parseTableRoute(table: string, body: unknown): TableRoute {
  const checked = checkRouteSpec(table, body);
  if (!checked.ok) throw errors.invalidRoute(checked.problems.join('; '));
  return checked.value;
}
