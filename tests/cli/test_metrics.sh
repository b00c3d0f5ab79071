#!/usr/bin/env bash
# Prometheus metrics as an operator scrapes them, on a real 2-rank training run:
#   each rank serves /metrics on metrics.port_base + its local rank (127.0.0.1);
#   `promtool check metrics` (Debian's prometheus package) passes on a live scrape of each rank;
#   the real Prometheus server scrapes both ranks and its HTTP query API returns the step series
#   of both, with the loss terms;
#   at the end each rank pushes its metrics to a real Pushgateway (Debian's), grouped by run and
#   rank; the kNN monitor's result is a metric and in metrics.jsonl;
#   the step timeline is a Chrome trace of both ranks: every phase of every step in its window, and
#   gradient buckets whose all-reduce starts while backward still runs;
#   a port that is taken gives a warning naming it, and training goes on.
set -uo pipefail
bin=$1
root=$2
source "$(dirname "$0")/check.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# Four free ports: two ranks, the Prometheus server, the Pushgateway (asked of the kernel, then
# released).
read -r rank_port prom_port gateway_port < <(python3 - <<'PY'
import random, socket
def free_run(n):  # n consecutive free ports
    while True:
        base, socks = random.randrange(20000, 60000), []
        try:
            for p in range(base, base + n):
                s = socket.socket(); socks.append(s); s.bind(("127.0.0.1", p))
            return base
        except OSError:
            pass
        finally:
            for s in socks: s.close()
ranks = free_run(2)
taken = {ranks, ranks + 1}
others = []
while len(others) < 2:
    p = free_run(1)
    if p not in taken:
        taken.add(p); others.append(p)
print(ranks, *others)
PY
)
config="$root/configs/debug/tiny_cpu.yaml"
run=(--set optim.epochs=20 --set optim.iterations_per_epoch=4 --set optim.warmup_epochs=1
     --set ssl.teacher.warmup_temp_epochs=1 --set data.batch_size_per_rank=4
     --set data.synthetic.images_per_class=16 --set ssl.dino.head.n_prototypes=256
     --set ssl.dino.head.hidden_dim=128 --set ssl.dino.head.bottleneck_dim=64
     --set checkpoint.every_steps=40 --set "run.output_dir=$tmp/runs"
     --set metrics.prometheus=true --set metrics.port_base="$rank_port"
     --set eval.knn_every_steps=40 --set metrics.timeline_start_step=3 --set metrics.timeline_steps=2
     --set eval.linear_probe=true
     --set metrics.pushgateway_url="http://127.0.0.1:$gateway_port")
prometheus-pushgateway --web.listen-address="127.0.0.1:$gateway_port" \
  --persistence.file="$tmp/gateway.data" > "$tmp/gateway.log" 2>&1 &
gateway_pid=$!
trap 'kill "$gateway_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
mpirun -np 2 "$bin" train -c "$config" "${run[@]}" --set run.name=metrics > "$tmp/train.out" 2>&1 &
train_pid=$!

scrape() { curl -sf --max-time 5 "http://127.0.0.1:$1/metrics"; }
for _ in $(seq 120); do
  scrape "$rank_port" > "$tmp/rank0.prom" 2>/dev/null && scrape $((rank_port + 1)) > "$tmp/rank1.prom" 2>/dev/null &&
    grep -q '^pathodino_step{' "$tmp/rank0.prom" && grep -q '^pathodino_step{' "$tmp/rank1.prom" && break
  sleep 0.5
done
check "both ranks serve /metrics (ports $rank_port and $((rank_port + 1)))" \
  bash -c "grep -q 'rank=\"0\"' '$tmp/rank0.prom' && grep -q 'rank=\"1\"' '$tmp/rank1.prom'"
sed -n '1,12p' "$tmp/rank0.prom"
check "promtool check metrics passes on rank 0's live scrape" bash -c "promtool check metrics < '$tmp/rank0.prom'"
check "promtool check metrics passes on rank 1's live scrape" bash -c "promtool check metrics < '$tmp/rank1.prom'"
check "the scrape has every loss term, the lr and the phase times" bash -c "
  for term in total dino ibot koleo; do grep -q \"^pathodino_loss{rank=\\\"0\\\",run=\\\"metrics\\\",term=\\\"\$term\\\"}\" '$tmp/rank0.prom' || exit 1; done
  grep -q '^pathodino_learning_rate{' '$tmp/rank0.prom' && grep -q 'phase=\"backward\"' '$tmp/rank0.prom' &&
  grep -q '^pathodino_allreduce_bytes_total{' '$tmp/rank0.prom' && grep -q '^pathodino_resident_memory_bytes{' '$tmp/rank0.prom'"
check "the scrape has the kNN monitor's top-1 (of the initialisation, before step 1)" \
  grep -q '^pathodino_knn_top1_ratio{rank="0",run="metrics"} 0\.[0-9]' "$tmp/rank0.prom"
check "... and random features' level next to it" bash -c "
  grep -q '^pathodino_knn_random_ratio{rank=\"0\",run=\"metrics\",measure=\"top1\"} 0\.[0-9]' '$tmp/rank0.prom' &&
  grep -q '^pathodino_knn_random_ratio{rank=\"0\",run=\"metrics\",measure=\"balanced\"} 0\.[0-9]' '$tmp/rank0.prom'"

# The real server: scrape both ranks every second, then ask its query API.
cat > "$tmp/prometheus.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: pathodino
    static_configs: [{targets: ["127.0.0.1:$rank_port", "127.0.0.1:$((rank_port + 1))"]}]
YML
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" > "$tmp/prometheus.log" 2>&1 &
prom_pid=$!
query() {  # query PROMQL → JSON result list
  curl -sf --max-time 5 "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1"
}
for _ in $(seq 90); do
  query 'max_over_time(pathodino_step[10m])' > "$tmp/steps.json" 2>/dev/null &&
    python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['data']['result']; sys.exit(not (len(r)==2 and min(float(x['value'][1]) for x in r) >= 3))" "$tmp/steps.json" && break
  sleep 1
done
query 'max_over_time(pathodino_loss{term="dino"}[10m])' > "$tmp/dino.json"
kill "$prom_pid" 2>/dev/null; wait "$prom_pid" 2>/dev/null
cat "$tmp/steps.json"; echo
check "Prometheus scraped both ranks: the step series of rank 0 and rank 1 through its query API" \
  python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))['data']['result']
print({x['metric']['rank']: x['value'][1] for x in r})
sys.exit(not (sorted(x['metric']['rank'] for x in r) == ['0', '1'] and all(x['metric']['run'] == 'metrics' for x in r)))" "$tmp/steps.json"
check "Prometheus has the DINO loss of both ranks" \
  python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['data']['result']; sys.exit(len(r) != 2)" "$tmp/dino.json"

wait "$train_pid"; rc=$?
check "the training run finishes" test $rc -eq 0
grep -E "metrics|knn|timeline" "$tmp/train.out"
check "the start-up report names rank 0's endpoint" grep -q "metrics: http://127.0.0.1:$rank_port/metrics" "$tmp/train.out"

# The Pushgateway holds both ranks' final numbers after the run is gone.
curl -sf --max-time 5 "http://127.0.0.1:$gateway_port/metrics" > "$tmp/gateway.prom"
grep '^pathodino_step{' "$tmp/gateway.prom"
check "the Pushgateway has the last step of rank 0 and rank 1, grouped by run and rank" bash -c "
  grep -Eq '^pathodino_step\{.*rank=\"0\".*run=\"metrics\".*\} 80\$' '$tmp/gateway.prom' &&
  grep -Eq '^pathodino_step\{.*rank=\"1\".*run=\"metrics\".*\} 80\$' '$tmp/gateway.prom' &&
  grep -q '^pathodino_checkpoint_saves_total{.*outcome=\"committed\"' '$tmp/gateway.prom'"
check "the final linear probe: a progress line, linear_probe.json, a metric in the Pushgateway" bash -c "
  grep -q '^linear probe: top-1 .* on 64 held-out images' '$tmp/train.out' &&
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(not (0 <= r[\"top1\"] <= 1 and r[\"val\"] == 64))' '$tmp/runs/metrics/linear_probe.json' &&
  grep -q '^pathodino_linear_probe_top1_ratio{.*rank=\"1\"' '$tmp/gateway.prom'"
check "promtool check metrics passes on the Pushgateway's exposition" \
  bash -c "promtool check metrics < '$tmp/gateway.prom'"

check "metrics.jsonl has the kNN of the initialisation and after steps 40 and 80" python3 -c "
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
knn = {l['step'] + 1: l['knn_top1'] for l in lines if l.get('knn_top1') is not None}
print('kNN by steps done:', knn, 'at start:', lines[0].get('knn_top1_at_start'))
sys.exit(not (sorted(knn) == [40, 80] and 0 < lines[0]['knn_top1_at_start'] <= 1))" "$tmp/runs/metrics/metrics.jsonl"

check "timeline.json: both ranks, every phase of steps 3 and 4, buckets overlapping backward" python3 -c "
import json, sys
events = json.load(open(sys.argv[1]))['traceEvents']
spans = [e for e in events if e['ph'] == 'X']
ok = True
for rank in (0, 1):
    for step in (3, 4):
        mine = [e for e in spans if e['pid'] == rank and e['args']['step'] == step]
        names = {e['name'].split(' (')[0] for e in mine}
        need = {'data wait', 'batch to device', 'forward', 'backward', 'gradient wait', 'optimizer', 'ema'}
        buckets = [e for e in mine if e['tid'] == 1]
        backward = [e for e in mine if e['name'] == 'backward'][0]
        early = [b for b in buckets if b['ts'] < backward['ts'] + backward['dur']]
        print(f'rank {rank} step {step}: {len(mine)} events, {len(buckets)} bucket(s), '
              f'{len(early)} started during backward; missing {sorted(need - names)}')
        ok &= need <= names and len(buckets) >= 2 and len(early) >= 1
    ok &= all(e['dur'] >= 0 and e['ts'] >= 0 for e in spans if e['pid'] == rank)
sys.exit(not ok)" "$tmp/runs/metrics/timeline.json"

# A taken port: a warning naming it; training goes on.
python3 -c "
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(60)" "$rank_port" &
blocker=$!
sleep 0.5
"$bin" train -c "$config" "${run[@]}" --set optim.epochs=1 --set run.name=taken > "$tmp/taken.out" 2>&1; rc=$?
kill "$blocker" "$gateway_pid" 2>/dev/null
grep "warning" "$tmp/taken.out"
check "a taken port: a warning naming it, and the run finishes" \
  bash -c "test $rc -eq 0 && grep -q 'warning: rank 0: metrics: cannot listen on 127.0.0.1:$rank_port' '$tmp/taken.out'"
finish
