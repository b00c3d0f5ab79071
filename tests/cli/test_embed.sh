#!/usr/bin/env bash
# `pathodino embed` as a user runs it: synth → index → a backbone file → embed over 2 MPI ranks;
# the slide files read back with h5py in the layout slide-level code expects; a job killed with
# SIGKILL after its first slide file and run again keeps that file and embeds the rest; a folder
# made with another backbone is refused by name; a bad config is refused before any work. A folder
# of PNG tiles (one subfolder per slide, as tile-extraction tools write them) gives one file per
# subfolder with each row's path. With --encryption-key the files are AES-256-GCM encrypted (Note
# [Encrypted feature files]): they decrypt to the plain job's features, and a flipped byte, two
# files swapped, the wrong key, no key and a plain file in an encrypted folder are refused by name.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"
export PATHODINO_BIN=$bin
config="$root/configs/debug/tiny_cpu.yaml"

"$bin" synth --out "$tmp/slides" --slides 6 --width 1024 --height 768 --seed 21 > /dev/null ||
  { echo "FAIL synth"; exit 1; }
"$bin" index --slides "$tmp/slides/manifest.csv" --out "$tmp/tiles.pdidx" --target-mpp 0.5 \
  --tile-size 64 --no-qa > "$tmp/index.out" || { echo "FAIL index"; exit 1; }
tiles=$(grep -Eo '[0-9]+ tiles ->' "$tmp/index.out" | grep -Eo '[0-9]+')
slides=$(grep -Ec '^ok +[0-9]+ tiles' "$tmp/index.out")  # with tiles or not, all in the index
empty=$(grep -Ec '^ok +0 tiles' "$tmp/index.out")
check "the test's index has slides with tiles on both ranks" test "$slides" -ge 5
check "... and a slide without tiles" test "$empty" -ge 1
for seed in 3 4; do
  "$bin" export --init vit_tiny_patch16 --seed $seed --img-size 64 --layerscale-init 0 \
    --out "$tmp/backbone$seed.safetensors" > /dev/null || { echo "FAIL export"; exit 1; }
done
embed=(embed -c "$config" --index "$tmp/tiles.pdidx")

"$root/launch/mpirun.sh" -n 2 "${embed[@]}" --backbone "$tmp/backbone3.safetensors" \
  --out "$tmp/features" > "$tmp/embed.out" 2>&1; rc=$?
cat "$tmp/embed.out"
check "embedding over 2 MPI ranks exits 0" test $rc -eq 0
check "progress lines show tiles/s and an ETA per rank" \
  grep -Eq '^\[embed\] rank 1 slide 2/[0-9]+ slide_[0-9]+: [0-9]+ tiles, embedded \| [0-9.]+ tiles/s, ETA [0-9]+ s' "$tmp/embed.out"
check "... the slide without tiles as empty" grep -Eq '^\[embed\] rank [01] slide [0-9]+/[0-9]+ slide_[0-9]+: 0 tiles, empty' "$tmp/embed.out"
check "... and the device, backbone and reading threads of each rank (one core each)" \
  grep -q '^\[embed\] rank 1: backbone3.safetensors on cpu (fp32), 1 backbone thread(s), 2 reading thread(s)' "$tmp/embed.out"
check "the summary counts every slide" grep -q "^\[embed\] $slides slide file(s) in .* 0 failed" "$tmp/embed.out"
"$python" - "$tmp/features" "$tiles" "$slides" <<'PY'; check "h5py reads every slide file in the CLAM/TRIDENT layout" test $? -eq 0
import csv, sys, pathlib
import h5py, numpy as np
folder, index_tiles, slides = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = list(csv.DictReader(open(folder / "manifest.csv")))
assert len(rows) == slides, rows
assert all(r["status"] == ("embedded" if int(r["tiles"]) else "empty") for r in rows), rows
total = 0
for r in rows:
    with h5py.File(folder / r["file"], "r") as f:
        feats, coords = f["features"][:], f["coords"][:]
        n = int(r["tiles"])
        if n == 0:  # a slide without tiles: an empty file of the same layout
            assert feats.shape == (0, 192) and coords.shape == (0, 2), (r, feats.shape)
            continue
        assert feats.shape == (n, 192) and feats.dtype == np.float32, (r, feats.shape, feats.dtype)
        assert coords.shape == (n, 2) and coords.dtype == np.int64, (r, coords.shape)
        assert np.allclose(np.linalg.norm(feats, axis=1), 1, atol=1e-5)
        assert len({tuple(c) for c in coords}) == n, "duplicate coordinates"
        assert (coords >= 0).all() and (coords % 64 == 0).all(), coords[:4]
        assert f["coords"].attrs["patch_size"] == 64 and f["coords"].attrs["patch_size_level0"] == 64
        assert f.attrs["slide"] == r["slide"] and f.attrs["target_mpp"] == 0.5
        assert f.attrs["backbone"] == "backbone3.safetensors" and len(f.attrs["backbone_sha256"]) == 64
        total += n
assert total == index_tiles, (total, index_tiles)
print(f"h5py: {slides} files ({sum(r['status'] == 'empty' for r in rows)} empty), {total} tiles, "
      "features [N, 192] float32, unit rows")
PY

# Encrypted at rest: the same job with a key.
"$bin" keys generate-aes --out "$tmp/data.key" > /dev/null
"$bin" keys generate-aes --out "$tmp/other.key" > /dev/null
"$root/launch/mpirun.sh" -n 2 "${embed[@]}" --backbone "$tmp/backbone3.safetensors" \
  --out "$tmp/sealed" --encryption-key "$tmp/data.key" > "$tmp/sealed.out" 2>&1; rc=$?
check "an encrypted job over 2 ranks exits 0" test $rc -eq 0
check "... its files are encrypted: no HDF5 signature, no backbone name" bash -c "
  for f in '$tmp'/sealed/slide_*.h5; do
    test \"\$(head -c 8 \"\$f\")\" = PDGCM001 && ! LC_ALL=C grep -qaP -e '\\x89HDF\\r' -e backbone3 \"\$f\" || exit 1
  done"
"$bin" keys decrypt-features "$tmp"/sealed/slide_*.h5 --encryption-key "$tmp/data.key" \
  --out "$tmp/opened" > /dev/null; rc=$?
check "... and decrypt to the plain job's features and coordinates" bash -c "test $rc -eq 0 && '$python' -c \"
import h5py, numpy as np, pathlib
files = sorted(pathlib.Path('$tmp/features').glob('*.h5'))
assert len(files) == $slides
for f in files:
    a, b = h5py.File(f), h5py.File(pathlib.Path('$tmp/opened') / f.name)
    assert np.array_equal(a['features'][:], b['features'][:]), f.name
    assert np.array_equal(a['coords'][:], b['coords'][:]), f.name\""
refused() {  # refused FILE_REGEX ARGS...: decrypting fails (exit 1) with a message naming the file
  local pattern=$1; shift
  "$bin" keys decrypt-features "$@" --out "$tmp/refused" > "$tmp/refused.out" 2>&1 &&
    { echo "  not refused"; return 1; }
  grep -q "$pattern" "$tmp/refused.out" || { cat "$tmp/refused.out"; return 1; }
}
cp -r "$tmp/sealed" "$tmp/tampered"
printf '\x01' | dd of="$tmp/tampered/slide_000.h5" bs=1 seek=200 conv=notrunc status=none
check "a flipped byte in an encrypted file is refused, naming it" \
  refused "tampered/slide_000.h5: fails its authentication tag" "$tmp/tampered/slide_000.h5" \
  --encryption-key "$tmp/data.key"
mv "$tmp/tampered/slide_001.h5" "$tmp/swap" && mv "$tmp/tampered/slide_002.h5" "$tmp/tampered/slide_001.h5"
check "two files swapped: each is refused under the other's name" \
  refused "tampered/slide_001.h5: fails its authentication tag" "$tmp/tampered/slide_001.h5" \
  --encryption-key "$tmp/data.key"
check "the wrong key is refused, naming the file" \
  refused "sealed/slide_003.h5: fails" "$tmp/sealed/slide_003.h5" --encryption-key "$tmp/other.key"
cp "$tmp/features/slide_003.h5" "$tmp/tampered/slide_003.h5"
check "a plain file in place of an encrypted one is refused when read with the key" \
  refused "tampered/slide_003.h5: not encrypted, but read with a key" \
  "$tmp/tampered/slide_003.h5" --encryption-key "$tmp/data.key"
"$bin" "${embed[@]}" --backbone "$tmp/backbone3.safetensors" --out "$tmp/sealed" \
  > "$tmp/nokey.out" 2>&1; rc=$?
check "re-running the job without the key is refused, naming a file, before any work" \
  bash -c "test $rc -eq 1 && grep -q 'sealed/slide_00[0-9].h5: an encrypted feature file; give its key' '$tmp/nokey.out'"

# Killed after its first slide file (SIGKILL: no chance to clean up), then run again.
"$bin" "${embed[@]}" --backbone "$tmp/backbone3.safetensors" --out "$tmp/killed" --batch-size 1 \
  > "$tmp/killed.out" 2>&1 &
job=$!
for _ in $(seq 600); do
  ls "$tmp"/killed/*.h5 > /dev/null 2>&1 && break
  sleep 0.05
done
kill -9 $job 2> /dev/null
wait $job 2> /dev/null
first=$(ls "$tmp"/killed/*.h5 2> /dev/null | head -1)
check "the killed job had written a slide file" test -n "$first"
stamp=$(stat -c %Y.%s "$first" 2> /dev/null)
"$bin" "${embed[@]}" --backbone "$tmp/backbone3.safetensors" --out "$tmp/killed" \
  > "$tmp/resumed.out" 2>&1; rc=$?
check "the resumed job exits 0" test $rc -eq 0
cat "$tmp/resumed.out"
check "... keeps the files of the killed job" grep -Eq "$slides slide file\(s\) in .* \([1-9] kept from an earlier run, 0 failed\)" "$tmp/resumed.out"
check "... without rewriting them" test "$(stat -c %Y.%s "$first")" = "$stamp"
check "... and leaves no temporary file" test -z "$(ls "$tmp/killed" | grep -v -e '\.h5$' -e '^manifest.csv$')"
check "... and the same features as the uninterrupted job" "$python" -c "
import h5py, numpy as np, sys, pathlib
for f in pathlib.Path('$tmp/features').glob('*.h5'):
    a, b = h5py.File(f)['features'][:], h5py.File(pathlib.Path('$tmp/killed') / f.name)['features'][:]
    assert np.array_equal(a, b), f.name"

"$bin" "${embed[@]}" --backbone "$tmp/backbone4.safetensors" --out "$tmp/features" \
  > "$tmp/other.out" 2>&1; rc=$?
cat "$tmp/other.out"
check "a folder made with another backbone is refused (exit 1)" test $rc -eq 1
check "... naming the file and both backbones" \
  grep -q "features/slide_000.h5: made with backbone backbone3.safetensors .*, this job uses backbone4.safetensors" "$tmp/other.out"

"$python" - "$tmp/tiles_png" <<'PY' || { echo "FAIL writing PNG tiles"; exit 1; }
import sys, pathlib
import numpy as np
from PIL import Image
rng = np.random.default_rng(0)
for slide, count in (("case_a", 3), ("case_b", 4)):
    folder = pathlib.Path(sys.argv[1]) / slide
    folder.mkdir(parents=True)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(folder / f"{i}_0.png")
PY
"$bin" embed -c "$config" --images "$tmp/tiles_png" --backbone "$tmp/backbone3.safetensors" \
  --out "$tmp/png_features" > "$tmp/png.out" 2>&1; rc=$?
cat "$tmp/png.out"
check "a folder of PNG tiles is embedded (exit 0)" test $rc -eq 0
check "... one file per subfolder, with each image's path, read by h5py" "$python" -c "
import h5py, numpy as np
for label, (slide, n) in enumerate((('case_a', 3), ('case_b', 4))):
    with h5py.File('$tmp/png_features/' + slide + '.h5') as f:
        assert f['features'].shape == (n, 192), f['features'].shape
        assert np.allclose(np.linalg.norm(f['features'][:], axis=1), 1, atol=1e-5)
        assert [p.decode() for p in f['paths'][:]] == [f'{slide}/{i}_0.png' for i in range(n)]
        # subfolders read as classes (image_folder_source.h): the folder's name is the label
        assert [c.decode() for c in f['class_names'][:]] == ['case_a', 'case_b']
        assert (f['labels'][:] == label).all() and 'coords' not in f"
"$bin" embed -c "$config" --images "$tmp/tiles_png" --index "$tmp/tiles.pdidx" \
  --backbone "$tmp/backbone3.safetensors" --out "$tmp/both" > "$tmp/both.out" 2>&1; rc=$?
check "--images with --index is refused before any work" test $rc -ne 0 -a ! -e "$tmp/both"
check "... saying why" grep -q -- "--index excludes --images" "$tmp/both.out"

"$bin" "${embed[@]}" --backbone "$tmp/backbone3.safetensors" --out "$tmp/bad" \
  --set model.arch=vit_enormous > "$tmp/bad.out" 2>&1; rc=$?
check "a bad config is refused (exit 2) before any work" test $rc -eq 2 -a ! -e "$tmp/bad"
finish
