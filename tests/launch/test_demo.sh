#!/usr/bin/env bash
# The README's main job, whole, with privacy.pseudonymise (PATHODINO_DEMO_PSEUDONYMISE=1): its
# learning bar (PATHODINO_DEMO_MIN_GAIN, from the caller) and then a data steward's search: none
# of the manifest's slide paths, file names, stems or patient ids in anything the demo printed,
# in the index summary, in a QA picture's name, or in any file or file name of the run folder.
# The control: the same lines and files name the slides and patients by pseudonym, where a plain
# demo names them.
#   tests/launch/test_demo.sh REPO     (PATHODINO_BUILD_DIR, PATHODINO_DEMO_DIR as for the demo)
set -uo pipefail
root=$1
source "$(dirname "$0")/../cli/check.sh"
work=${PATHODINO_DEMO_DIR:?the test needs PATHODINO_DEMO_DIR}

PATHODINO_DEMO_PSEUDONYMISE=1 "$root/launch/demo.sh" 2>&1 | tee "$tmp/demo.out"
rc=${PIPESTATUS[0]}
check "the demo passes its learning bar, pseudonymised" test "$rc" -eq 0

manifest=$work/slides/manifest.csv
words=()
while IFS=, read -r path _ _ patient; do
  name=$(basename "$path")
  words+=("$path" "$name" "${name%.*}" "$patient")
done < <(tail -n +2 "$manifest")
check "the demo's manifest has slides and patients to look for" test "${#words[@]}" -ge 24
runs=$work/runs
found=0
for word in "${words[@]}"; do
  for where in "$tmp/demo.out" "$work/tiles.pdidx.summary.csv"; do
    grep -qF "$word" "$where" && { echo "  $word in $where"; found=$((found + 1)); }
  done
  hits=$(grep -rlF "$word" "$runs")
  [ -n "$hits" ] && { echo "  $word in: $hits"; found=$((found + 1)); }
  hits=$(find "$runs" "$work/tiles.pdidx.qa" -name "*$word*")
  [ -n "$hits" ] && { echo "  $word names: $hits"; found=$((found + 1)); }
done
check "no slide path, name or patient id in the demo's lines, summary, QA names or run files" \
  test $found -eq 0
check "the index summary names the patients by pseudonym (control)" \
  grep -q "patient-[0-9a-f]\{12\}" "$work/tiles.pdidx.summary.csv"
check "... and the QA pictures the slides (control)" \
  bash -c "ls '$work/tiles.pdidx.qa' | grep -q 'slide-[0-9a-f]\{12\}'"
finish
