# python3 sse-client.py <subscription id> <token>: prints each change, acknowledges it.
import json, os, sys, urllib.request
url = f"{os.environ.get('WAIL_GATEWAY_URL', 'http://127.0.0.1:8083')}/v1/subscriptions/{sys.argv[1]}"
headers = {"Authorization": f"Bearer {sys.argv[2]}", "Content-Type": "application/json"}
frame = {}
with urllib.request.urlopen(urllib.request.Request(f"{url}/events", headers=headers)) as stream:
    for line in (raw.decode("utf-8").rstrip("\n") for raw in stream):
        if line and not line.startswith(":"):
            field, _, value = line.partition(": ")
            frame[field] = value
        elif line == "" and "data" in frame:
            change = json.loads(frame["data"])
            print(change["table"], change["op"], json.dumps(change["key"]), json.dumps(change["after"]), flush=True)
            ack = json.dumps({"cursor": frame["id"]}).encode()
            urllib.request.urlopen(urllib.request.Request(f"{url}/ack", ack, headers)).close()
            frame = {}
