#!/usr/bin/env bash
# `eval knn` and `eval linear` per site, as a user runs them on a labelled CSV (path, label, split,
# site) where site_b's tiles are deliberately harder (blurred, faded, noisy copies of synthetic
# tissue tiles): the worst site is site_b, with a clear spread, for random features and the
# initialisation alike; --baseline puts the random features' scores next to the backbone's; a
# group column the set lacks is refused, naming it and the set. `eval robustness` on the same set:
# the sites differ more than the classes (Robustness Index below 0.5, the site read off the
# features far above chance) for the initialisation and random features; a set without a site
# column, or with one site, is refused by name.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"
config="$root/configs/debug/tiny_cpu.yaml"

"$bin" synth --out "$tmp/s" --slides 2 --width 1024 --height 768 --labelled-tiles 24 \
  --tile-size 64 --seed 3 > /dev/null || { echo "FAIL synth"; exit 1; }
"$python" "$(dirname "$0")/two_site_set.py" "$tmp/s/labelled" ||
  { echo "FAIL writing the two-site CSV"; exit 1; }
set_csv=(--set "eval.knn_dataset=$tmp/s/labelled/sites.csv")

"$bin" eval knn -c "$config" "${set_csv[@]}" --random-baseline 2 > "$tmp/knn.txt"; rc=$?
cat "$tmp/knn.txt"
check "eval knn --random-baseline prints scores per site (exit 0)" test $rc -eq 0
check "... a line per site with top-1, balanced accuracy and queries" \
  grep -Eq '^    site_b: [0-9.]+% / [0-9.]+% \(48\)$' "$tmp/knn.txt"
check "... and the worst site, site_b" grep -q '^  worst site site_b; spread' "$tmp/knn.txt"

"$bin" eval knn -c "$config" "${set_csv[@]}" --baseline 2 --json > "$tmp/knn.json"; rc=$?
check "eval knn --baseline --json exits 0" test $rc -eq 0
check "... site_b scores clearly below site_a for the initialisation and for random features" \
  "$python" -c "
import json
r = json.load(open('$tmp/knn.json'))
for scores in (r, r['random_baseline']):
    by = {g['group']: g for g in scores['groups']}
    assert scores['group_column'] == 'site' and set(by) == {'site_a', 'site_b'}, scores
    assert by['site_a']['count'] == by['site_b']['count'] == 48, by
    assert by['site_b']['balanced'] < by['site_a']['balanced'] - 0.1, by
    assert scores['worst_group'] == 'site_b', scores
    spread = by['site_a']['balanced'] - by['site_b']['balanced']
    assert abs(scores['balanced_spread'] - spread) < 1e-9, scores
    print(scores['backbone'], {s: round(g['balanced'], 3) for s, g in by.items()})
assert len(r['random_baseline']['seeds']) == 2"

"$bin" eval linear -c "$config" "${set_csv[@]}" --set eval.linear_epochs=100 --baseline 1 \
  > "$tmp/linear.txt"; rc=$?
cat "$tmp/linear.txt"
check "eval linear --baseline prints the backbone's sites, then the random features' sites" \
  test $rc -eq 0 -a "$(grep -c '^    site_b: ' "$tmp/linear.txt")" -eq 2
check "... the random features after the backbone" \
  grep -q '^linear probe top-1 of random features without LayerScale' "$tmp/linear.txt"

"$bin" eval knn -c "$config" "${set_csv[@]}" --set eval.group_column=scanner > "$tmp/bad.out" 2>&1
rc=$?
cat "$tmp/bad.out"
check "a group column the set lacks is refused (exit 1)" test $rc -eq 1
check "... naming the column and the set" \
  grep -q "eval.group_column: 'scanner' is not a column of image files under .*sites.csv" "$tmp/bad.out"
"$bin" eval robustness -c "$config" "${set_csv[@]}" --baseline 2 --json > "$tmp/robust.json"
rc=$?
check "eval robustness --baseline --json exits 0" test $rc -eq 0
check "... the site dominates: Robustness Index < 0.5, site predictability far above chance" \
  "$python" -c "
import json
r = json.load(open('$tmp/robust.json'))
for scores in [r] + r['random_baseline']['seeds']:
    n = scores
    assert scores['images'] == 192 and scores['sites'] == 2 and scores['k'] == 20, scores
    assert 0 <= scores['robustness_index'] < 0.5, scores
    ri = n['same_class_other_site'] / (n['same_class_other_site'] + n['other_class_same_site'])
    assert abs(ri - scores['robustness_index']) < 1e-12, scores
    total = sum(n[k] for k in ('same_class_other_site', 'other_class_same_site',
                               'same_class_same_site', 'other_class_other_site'))
    assert total == 192 * 20, total
    assert scores['site_balanced'] > 0.75 and scores['site_chance'] == 0.5, scores
    print(scores.get('backbone', 'random seed'), round(scores['robustness_index'], 3),
          round(scores['site_balanced'], 3))
assert len(r['random_baseline']['seeds']) == 2"
"$bin" eval robustness -c "$config" --set "eval.knn_dataset=$tmp/s/labelled" > "$tmp/nosite.out" 2>&1
rc=$?
cat "$tmp/nosite.out"
check "eval robustness on a set without a site column is refused (exit 1), naming it" \
  bash -c "test $rc -eq 1 && grep -q \"eval robustness: 'site' is not a column of image files under\" '$tmp/nosite.out'"
sed 's/,site_b\r\?$/,site_a/' "$tmp/s/labelled/sites.csv" > "$tmp/s/labelled/one_site.csv"
"$bin" eval robustness -c "$config" --set "eval.knn_dataset=$tmp/s/labelled/one_site.csv" \
  > "$tmp/onesite.out" 2>&1; rc=$?
cat "$tmp/onesite.out"
check "... and on a set with one site" \
  bash -c "test $rc -eq 1 && grep -q \"one value in column 'site'\" '$tmp/onesite.out'"
finish
