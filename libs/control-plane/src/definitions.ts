import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface TableDefinition {
  table: string;
  route: Record<string, unknown>;
  model?: { schema: unknown; eventTopic?: string };
}

/** Reads `*.json` table definitions from files or folders (sorted by name). */
export function readDefinitions(paths: readonly string[]): TableDefinition[] {
  const files = paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.json'))
          .sort()
          .map((name) => join(path, name))
      : [path],
  );
  return files.map((file) => {
    const definition = JSON.parse(readFileSync(file, 'utf8')) as TableDefinition;
    if (typeof definition.table !== 'string' || typeof definition.route !== 'object') {
      throw new Error(`${file}: a table definition needs "table" and "route"`);
    }
    return definition;
  });
}

/**
 * Applies table definitions to the repository: the route (idempotent PUT),
 * then the model (a new version only when it changed). Stops at the first
 * refusal with the repository's message.
 */
export async function applyDefinitions(
  repositoryUrl: string,
  definitions: readonly TableDefinition[],
  token: string | undefined,
  say: (line: string) => void,
): Promise<void> {
  const headers = {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  for (const definition of definitions) {
    const route = await fetch(
      `${repositoryUrl}/v1/tables/${encodeURIComponent(definition.table)}`,
      {
        method: 'PUT',
        headers,
        body: JSON.stringify(definition.route),
      },
    );
    const routeBody = (await route.json()) as { revision?: number; message?: string };
    if (!route.ok)
      throw new Error(`route ${definition.table}: ${route.status} ${routeBody.message ?? ''}`);
    say(`route ${definition.table}: revision ${routeBody.revision}`);
    if (!definition.model) continue;
    const model = await fetch(
      `${repositoryUrl}/v1/models/${encodeURIComponent(definition.table)}/versions`,
      {
        method: 'POST',
        headers,
        body: JSON.stringify(definition.model),
      },
    );
    const modelBody = (await model.json()) as {
      version?: number;
      eventTopic?: string;
      message?: string;
    };
    if (!model.ok)
      throw new Error(`model ${definition.table}: ${model.status} ${modelBody.message ?? ''}`);
    say(`model ${definition.table}: version ${modelBody.version} → ${modelBody.eventTopic}`);
  }
}
