// node sse-client.mjs <subscription id> <token>: prints each change, acknowledges it.
const [id, token] = process.argv.slice(2);
const url = `${process.env.WAIL_GATEWAY_URL ?? 'http://127.0.0.1:8083'}/v1/subscriptions/${id}`;
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const response = await fetch(`${url}/events`, { headers });
let buffer = '';
for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
  buffer += chunk;
  for (let end; (end = buffer.indexOf('\n\n')) >= 0; buffer = buffer.slice(end + 2)) {
    const frame = Object.fromEntries(buffer.slice(0, end).split('\n').map((line) => line.split(/: (.*)/s)));
    if (!frame.data) continue;
    const change = JSON.parse(frame.data);
    console.log(change.table, change.op, JSON.stringify(change.key), JSON.stringify(change.after));
    await fetch(`${url}/ack`, { method: 'POST', headers, body: JSON.stringify({ cursor: frame.id }) });
  }
}
