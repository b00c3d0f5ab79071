#!/usr/bin/env bash
# DICOM as a radiology team meets it: a labelled set of chest-X-ray-like files written by DCMTK's
# own tools (12-bit, MONOCHROME1 and 2, uncompressed, RLE and JPEG lossless; tests/cli/dicom_set.py)
# mixed with objects that are not 2-D images — a plan without pixel data, a multi-frame volume, a
# JPEG 2000 file no decoder reads, a truncated file, a text file — is indexed with
# `index-dicom --pseudonymise-key` (each bad object skipped with its reason and counted; patient
# and study IDs kept only as pseudonyms); configs/debug/tiny_dicom.yaml trains on it over 2 MPI
# ranks with live kNN on its labels and the report's random-feature baseline, with one file
# damaged after indexing (another image stands in, training goes on; named by pseudonym under
# privacy.pseudonymise); no patient ID or study UID appears in anything written; a fixed window without a width is refused before any work.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"
export PATHODINO_BIN=$bin OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
shipped=$("$python" -c 'import pathlib, pydicom; print(pathlib.Path(pydicom.__file__).parent / "data" / "test_files")')

"$python" "$(dirname "$0")/dicom_set.py" "$tmp/xr" 12 6 96 || { echo "FAIL dicom_set"; exit 1; }
bad=$tmp/xr/train/normal
cp "$shipped/rtplan.dcm" "$bad/plan.dcm"
cp "$shipped/rtdose.dcm" "$bad/volume.dcm"
cp "$shipped/JPEG2000.dcm" "$bad/j2k.dcm"
head -c 400 "$tmp/xr/train/normal/0.dcm" > "$bad/truncated.dcm"
echo "not an image" > "$bad/notes.dcm"
"$bin" keys generate-aes --out "$tmp/pseudonym.key" > /dev/null

"$bin" index-dicom --source "$tmp/xr" --out "$tmp/xr.pdcm" --pseudonymise-key "$tmp/pseudonym.key" \
  > "$tmp/index.out" 2>&1; rc=$?
cat "$tmp/index.out"
check "index-dicom indexes the 36 images (24 train, 12 val, 2 classes)" \
  bash -c "test $rc -eq 0 && grep -q '^36 image(s) (24 train, 12 val), 2 class(es); 5 skipped' '$tmp/index.out'"
check "... skipping each bad object with its reason" bash -c "
  grep -q 'plan.dcm: no pixel data' '$tmp/index.out' &&
  grep -q 'volume.dcm: a volume of 15 frames' '$tmp/index.out' &&
  grep -q 'j2k.dcm: transfer syntax JPEG 2000.*no decoder' '$tmp/index.out' &&
  grep -q 'truncated.dcm: ' '$tmp/index.out' && grep -q 'notes.dcm: not a DICOM file' '$tmp/index.out'"
check "... keeping patient and study as pseudonyms only" bash -c "
  grep -Eq '\"patient\": \"patient-[0-9a-f]{12}\"' '$tmp/xr.pdcm' && ! grep -q 'PAT-' '$tmp/xr.pdcm' &&
  ! grep -q '1.2.826.0.1.3680043.9.8' '$tmp/xr.pdcm'"

# A file damaged after indexing: its reads fail, another image stands in.
truncate -s 2000 "$tmp/xr/train/nodule/1.dcm"
sets=(--set "data.dicom.index=$tmp/xr.pdcm" --set "eval.knn_dataset=$tmp/xr.pdcm"
      --set "run.output_dir=$tmp/runs" --set optim.epochs=1 --set optim.iterations_per_epoch=12
      --set optim.warmup_epochs=0 --set ssl.teacher.warmup_temp_epochs=0
      --set eval.knn_every_steps=6 --set eval.report_seeds=1 --set checkpoint.every_steps=6)
"$root/launch/mpirun.sh" -n 2 train -c "$root/configs/debug/tiny_dicom.yaml" "${sets[@]}" \
  > "$tmp/train.out" 2>&1; rc=$?
grep -E "^knn|warning|^done|report" "$tmp/train.out"
check "tiny_dicom trains over 2 ranks with live kNN on the labels" \
  bash -c "test $rc -eq 0 && grep -q '^done: 12 steps' '$tmp/train.out' && grep -Eq '^knn after 12 step\(s\): top-1 [0-9.]+% \(random [0-9.]+%\)' '$tmp/train.out'"
check "... the damaged file named, another image standing in" \
  grep -q "nodule/1.dcm: .*another image stands in" "$tmp/train.out"
check "... and the report scores the teacher next to random features" \
  bash -c "'$python' -c \"import json; e = json.load(open('$tmp/runs/tiny_dicom/report/report.json'))['evaluation']; assert e['teacher']['knn_top1'] >= 0 and e['random']['best']['knn_top1'] >= 0\""
check "no patient ID or study UID in anything the run printed or wrote" bash -c "
  ! grep -rq -e 'PAT-' -e '1.2.826.0.1.3680043.9.8' '$tmp/runs' '$tmp/train.out' '$tmp/index.out'"

# Under privacy.pseudonymise the damaged file is named by its image pseudonym, not its path.
"$bin" train -c "$root/configs/debug/tiny_dicom.yaml" "${sets[@]}" --set run.name=private \
  --set optim.iterations_per_epoch=4 --set eval.knn_every_steps=2 --set eval.report_seeds=1 \
  --set privacy.pseudonymise=true --set "privacy.key_file=$tmp/pseudonym.key" \
  > "$tmp/private.out" 2>&1; rc=$?
grep -E "another image stands in" "$tmp/private.out"
check "under privacy.pseudonymise the damaged file is named by pseudonym only (training and kNN)" bash -c "
  test $rc -eq 0 && grep -Eq 'warning: rank 0: image-[0-9a-f]{12}.*another image stands in' '$tmp/private.out' &&
  grep -Eq '^warning: image-[0-9a-f]{12}.*another image stands in' '$tmp/private.out' &&
  ! grep -q 'nodule' '$tmp/private.out'"

"$bin" config check -c "$root/configs/debug/tiny_dicom.yaml" "${sets[@]}" \
  --set data.dicom.read.window=fixed > "$tmp/bad.out" 2>&1; rc=$?
check "a fixed window without a width is refused (exit 2), naming the key" \
  bash -c "test $rc -eq 2 && grep -q 'data.dicom.read.window: a fixed window needs a width' '$tmp/bad.out'"
finish
