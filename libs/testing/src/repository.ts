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
