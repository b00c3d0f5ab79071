#!/usr/bin/env bash
# The learning proof on DICOM: configs/debug/tiny_dicom.yaml trains 600 steps over 2 ranks on 256
# synthetic chest-X-ray-like files (tests/cli/dicom_set.py: normal vs a round opacity, 12-bit,
# MONOCHROME1 and 2, compressed and not) and its teacher must beat the best of three random-feature
# seeds of the same ViT (the run report) by at least MIN_GAIN kNN points on 256 held-out files.
#   dicom_learning_proof.sh PATHODINO REPO PYTHON MIN_GAIN
set -uo pipefail
bin=$1
root=$2
python=$3
need=$4
source "$root/tests/cli/check.sh"
export PATHODINO_BIN=$bin OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

"$python" "$root/tests/cli/dicom_set.py" "$tmp/set" 128 128 96 > /dev/null || { echo "FAIL set"; exit 1; }
"$bin" index-dicom --source "$tmp/set" --out "$tmp/xr.pdcm" || { echo "FAIL index"; exit 1; }
"$root/launch/mpirun.sh" -n 2 train -c "$root/configs/debug/tiny_dicom.yaml" \
  --set "data.dicom.index=$tmp/xr.pdcm" --set "eval.knn_dataset=$tmp/xr.pdcm" \
  --set "run.output_dir=$tmp/runs" --set optim.epochs=24 --set eval.knn_every_steps=200 \
  > "$tmp/train.out" 2>&1; rc=$?
grep -E "^knn|^done" "$tmp/train.out"
check "600 steps over 2 ranks with the report" test $rc -eq 0
gain=$("$python" -c "import json
e = json.load(open('$tmp/runs/tiny_dicom/report/report.json'))['evaluation']
print(round(100 * (e['teacher']['knn_top1'] - e['random']['best']['knn_top1']), 2))")
echo "trained teacher over the best random-feature seed: $gain kNN points"
check "the teacher beats the best of 3 random seeds by >= $need points" \
  "$python" -c "import sys; sys.exit(0 if $gain >= $need else 1)"
finish
