/**
 * `wail gateway …`: the event gateway's admin calls, as JSON lines:
 * `list` (subscriptions with their lag), `dead-letters <id>` and
 * `redrive <id>`. Exit status 1 with the gateway's error when it refuses.
 */
export async function gateway(
  action: string,
  id: string | undefined,
  options: { url: string; token: string | undefined; say: (line: string) => void },
): Promise<number> {
  const call = async (method: string, path: string) => {
    const response = await fetch(`${options.url}${path}`, {
      method,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok)
      throw new Error(`gateway answered ${response.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const needId = () => {
    if (!id || !/^sub_[a-z2-7]{20}$/.test(id))
      throw new Error(`gateway ${action} needs a subscription id (sub_…)`);
    return id;
  };
  switch (action) {
    case 'list':
      for (const subscription of (await call('GET', '/v1/subscriptions'))[
        'subscriptions'
      ] as unknown[])
        options.say(JSON.stringify(subscription));
      return 0;
    case 'dead-letters':
      for (const letter of (await call('GET', `/v1/subscriptions/${needId()}/dead-letters`))[
        'deadLetters'
      ] as unknown[])
        options.say(JSON.stringify(letter));
      return 0;
    case 'redrive':
      options.say(
        JSON.stringify(await call('POST', `/v1/subscriptions/${needId()}/dead-letters/redrive`)),
      );
      return 0;
    default:
      throw new Error(`unknown gateway action "${action}" (list, dead-letters <id>, redrive <id>)`);
  }
}
