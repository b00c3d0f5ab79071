#!/usr/bin/env bash
# The metrics endpoint beyond loopback, as an operator exposes it: bound to 0.0.0.0 with a bearer
# token and a certificate (self-signed by the openssl command), it serves HTTPS; a scrape
# without the token or with a wrong one gets 401, plain HTTP gets nothing, and the real
# Prometheus server scrapes it with `authorization` and `tls_config` (and fails without the
# token). A config that binds beyond loopback without a token file, or gives a certificate
# without its key, is refused before the run starts.
#   test_metrics_security.sh PATHODINO METRICS_SERVE ROOT
set -uo pipefail
bin=$1
serve=$2
root=$3
source "$(dirname "$0")/../../cli/check.sh"

read -r port prom_port < <(python3 -c 'import socket
ports = []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ports.append(s.getsockname()[1]); s.close()
print(*ports)')
openssl rand -hex 24 > "$tmp/token" && chmod 600 "$tmp/token"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2> "$tmp/openssl.err" || { cat "$tmp/openssl.err"; exit 1; }
"$serve" 0.0.0.0 "$port" 120 "$tmp/token" "$tmp/cert.pem" "$tmp/key.pem" > "$tmp/serve.out" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" "${prom_pid:-}" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q https "$tmp/serve.out" && break; sleep 0.1; done
url=https://127.0.0.1:$port/metrics
status() { curl -s -o "$tmp/body" -w '%{http_code}' --max-time 5 --cacert "$tmp/cert.pem" "$@" "$url"; }
check "the endpoint says it serves HTTPS" grep -q "^https://0.0.0.0:$port/metrics" "$tmp/serve.out"
check "no token: 401" test "$(status)" = 401
check "a wrong token: 401" test "$(status -H 'Authorization: Bearer wrong')" = 401
check "the token: 200 with the metrics" \
  bash -c "test \"\$(curl -s -o '$tmp/body' -w '%{http_code}' --max-time 5 --cacert '$tmp/cert.pem' -H \"Authorization: Bearer \$(cat '$tmp/token')\" '$url')\" = 200 &&
           grep -q '^pathodino_probe{run=\"probe\"} 42' '$tmp/body'"
check "plain HTTP gets no metrics" bash -c "! curl -sf --max-time 5 http://127.0.0.1:$port/metrics"

cat > "$tmp/prometheus.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: secure
    scheme: https
    tls_config: {ca_file: "$tmp/cert.pem"}
    authorization: {type: Bearer, credentials_file: "$tmp/token"}
    static_configs: [{targets: ["127.0.0.1:$port"]}]
  - job_name: no_token
    scheme: https
    tls_config: {ca_file: "$tmp/cert.pem"}
    static_configs: [{targets: ["localhost:$port"]}]
YML
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" > "$tmp/prometheus.log" 2>&1 &
prom_pid=$!
query() { curl -sf --max-time 5 "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1"; }
value() {  # value PROMQL → the first result's value, or nothing
  query "$1" | python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null
}
for _ in $(seq 60); do
  [ "$(value 'up{job="secure"}')" = 1 ] && [ "$(value 'up{job="no_token"}')" = 0 ] && break
  sleep 1
done
check "Prometheus scrapes over HTTPS with the bearer token" \
  test "$(value 'pathodino_probe{job="secure"}')" = 42
check "Prometheus without the token is refused (up 0)" test "$(value 'up{job="no_token"}')" = 0

config="$root/configs/debug/tiny_cpu.yaml"
"$bin" config check -c "$config" --set metrics.prometheus=true --set metrics.bind_address=0.0.0.0 > "$tmp/open.out" 2>&1; rc=$?
check "binding beyond loopback without a token file is refused, naming the key" \
  bash -c "test $rc -eq 2 && grep -q 'metrics.bearer_token_file' '$tmp/open.out'"
"$bin" config check -c "$config" --set metrics.bind_address=0.0.0.0 \
  --set "metrics.bearer_token_file=$tmp/token" --set "metrics.tls_certificate=$tmp/cert.pem" \
  > "$tmp/half.out" 2>&1; rc=$?
check "a certificate without its key is refused" \
  bash -c "test $rc -eq 2 && grep -q 'metrics.tls_private_key' '$tmp/half.out'"
finish
