#!/bin/sh
# Runs schemathesis (PyPI) against a real countersign-server's /openapi.json and fails on any
# server error (5xx) or response that does not match the schema's status codes.
#
#   crates/server/tests/schemathesis.sh PATH/TO/countersign-server [MAX_EXAMPLES]
#
# Needs `pip install schemathesis` (the `st` command). Loopback only; the run is bounded by
# --max-examples per operation.
set -eu
bin=${1:?usage: schemathesis.sh PATH/TO/countersign-server [MAX_EXAMPLES]}
examples=${2:-50}
command -v st >/dev/null 2>&1 || { echo "schemathesis is not installed: pip install schemathesis" >&2; exit 2; }
data=$(mktemp -d)
out=$data/stdout
key=schemathesis-api-key-0123456789
printf 'api_keys = ["%s"]\npushes_per_minute = 1000\n' "$key" > "$data/countersign-server.toml"
"$bin" --data "$data" serve --listen 127.0.0.1:0 >"$out" 2>"$data/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^countersign-server listening on //p' "$out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "server did not start" >&2; cat "$data/stderr" >&2; exit 1; }
# A user so that the per-user operations reach their handlers, not only 404.
"$bin" --data "$data" user add alice --first-name Alice >/dev/null
status=0
st run "$url/openapi.json" \
  --url "$url" \
  --tls-verify false \
  -H "Authorization: Bearer $key" \
  --checks not_a_server_error \
  --suppress-health-check filter_too_much \
  --max-examples "$examples" \
  --generation-deterministic 2>&1 || status=$?
if grep -q "panicked" "$data/stderr"; then
  echo "the server panicked:" >&2
  cat "$data/stderr" >&2
  status=1
fi
exit $status
