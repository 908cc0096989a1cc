/**
 * Applies table routes through the schema repository's control plane
 * (`PUT /v1/tables/{table}`), as `wail apply` would; any answer but 200 fails
 * with the repository's error body.
 */
export async function putTableRoutes(
  repositoryUrl: string,
  routes: Record<string, Record<string, unknown>>,
): Promise<void> {
  for (const [table, route] of Object.entries(routes)) {
    const response = await fetch(`${repositoryUrl}/v1/tables/${table}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(route),
    });
    if (response.status !== 200)
      throw new Error(`route ${table}: ${response.status} ${await response.text()}`);
  }
}

/**
 * Registers a data model version (`POST /v1/models/{table}/versions`) whose
 * Avro record has `fields` (default: `id` long and `n` int); any answer but
 * 200 fails with the repository's error body.
 */
export async function postModel(
  repositoryUrl: string,
  table: string,
  model: {
    eventTopic: string;
    namespace: string;
    fields?: readonly { name: string; type: unknown }[];
    eventCluster?: string;
  },
): Promise<void> {
  const { eventTopic, namespace, eventCluster } = model;
  const fields = model.fields ?? [
    { name: 'id', type: 'long' },
    { name: 'n', type: 'int' },
  ];
  const response = await fetch(`${repositoryUrl}/v1/models/${table}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      eventTopic,
      ...(eventCluster ? { eventCluster } : {}),
      schema: { type: 'record', name: table, namespace, fields },
    }),
  });
  if (response.status !== 200)
    throw new Error(`model ${table}: ${response.status} ${await response.text()}`);
}
