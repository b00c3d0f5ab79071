#!/usr/bin/env bash
# Signed and encrypted checkpoints (Notes [Signed checkpoints], [Encrypted checkpoints]), as a
# data steward checks them:
#   keys     — `keys generate` writes an owner-only private key and never overwrites one; our
#              signatures verify with the openssl command and openssl's verify with ours;
#   signing  — a 2-rank run with checkpoint.signing_key signs every manifest (with each shard's
#              SHA-256) and its exported teacher; `checkpoint verify --public-key` accepts them;
#   tampering — a flipped byte in the manifest, its signature or a shard, two shards swapped, a
#              dropped signature and the wrong key are each refused, naming the file; a resume
#              that requires signatures passes over the tampered checkpoint for the previous good
#              one, and refuses an unsigned run;
#   refusals — a private key others can read, and require_signature without a public key, stop
#              the run before it starts;
#   encryption — a run with checkpoint.encryption_key writes AES-256-GCM shards (no tensor name
#              or byte readable), verifies, resumes and exports with the key; no key, the wrong
#              key, a flipped byte and two shards swapped are refused naming the file
#              (Note [Encrypted checkpoints]).
set -uo pipefail
bin=$1
root=$2
source "$(dirname "$0")/check.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

mkdir -p "$tmp/keys"
"$bin" keys generate --out "$tmp/keys" > "$tmp/generate.out" || { echo "FAIL keys generate"; exit 1; }
key=$tmp/keys/signing_key.pem pub=$tmp/keys/signing_key.pub.pem
fingerprint=$(grep -o 'fingerprint [0-9a-f]*' "$tmp/generate.out" | cut -d' ' -f2)
check "the private key is owner-only (0600)" test "$(stat -c %a "$key")" = 600
before=$(sha256sum "$key")
"$bin" keys generate --out "$tmp/keys" > "$tmp/again.out" 2>&1; rc=$?
check "a second generate is refused and leaves the key as it was" \
  bash -c "test $rc -eq 2 && grep -q 'never overwritten' '$tmp/again.out' && test \"\$(sha256sum '$key')\" = '$before'"

# Cross-checks with an independent implementation: the openssl command.
printf 'tiles seen per slide\n' > "$tmp/ledger.csv"
"$bin" keys sign "$tmp/ledger.csv" --signing-key "$key" > /dev/null
cut -d' ' -f3 "$tmp/ledger.csv.sig" | xxd -r -p > "$tmp/ours.bin"
check "openssl verifies the signature pathodino made" \
  openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -in "$tmp/ledger.csv" -sigfile "$tmp/ours.bin"
printf 'another file\n' > "$tmp/other.txt"
openssl pkeyutl -sign -inkey "$key" -rawin -in "$tmp/other.txt" -out "$tmp/theirs.bin"
echo "ed25519 $fingerprint $(xxd -p -c 256 "$tmp/theirs.bin")" > "$tmp/other.txt.sig"
check "pathodino verifies the signature openssl made" \
  "$bin" keys verify "$tmp/other.txt" --public-key "$pub"

# A signed 2-rank run: checkpoints at steps 4 and 8.
config="$root/tests/cli/checkpoint_tiny.yaml"
base=(--set optim.epochs=2 --set data.batch_size_per_rank=4 --set data.synthetic.images_per_class=16
      --set checkpoint.every_steps=4 --set "run.output_dir=$tmp/runs")
mpirun -np 2 "$bin" train -c "$config" "${base[@]}" --set run.name=signed \
  --set "checkpoint.signing_key=$key" --no-report > "$tmp/signed.out" 2>&1; rc=$?
ckpt=$tmp/runs/signed/checkpoints
check "a 2-rank run with a signing key finishes" test $rc -eq 0
check "every checkpoint manifest is signed" \
  test -f "$ckpt/step-00000004/manifest.json.sig" -a -f "$ckpt/step-00000008/manifest.json.sig"
check "the manifest lists both shards' SHA-256" \
  bash -c "grep -A3 '\"shard_sha256\"' '$ckpt/step-00000008/manifest.json' | grep -c '[0-9a-f]\{64\}' | grep -qx 2"
check "checkpoint verify --public-key accepts the signed checkpoint" \
  "$bin" checkpoint verify "$ckpt/step-00000008" --public-key "$pub"
check "the exported teacher's signature is valid" \
  "$bin" keys verify "$tmp/runs/signed/teacher_backbone.safetensors" --public-key "$pub"
check "the private key never reaches a file the run wrote" \
  bash -c "! grep -rqF \"\$(sed -n 2p '$key')\" '$tmp/runs/signed'"

# Tampering, each on a fresh copy of step 8; the message must name the file at fault.
refused() {  # refused NAME EXPECTED_TEXT TAMPER_COMMAND [KEY]
  local name=$1 expected=$2 tamper=$3 with=${4:-$pub}
  rm -rf "$tmp/copy" && cp -r "$ckpt/step-00000008" "$tmp/copy"
  (cd "$tmp/copy" && eval "$tamper")
  "$bin" checkpoint verify "$tmp/copy" --public-key "$with" > "$tmp/verify.out" 2>&1; rc=$?
  sed 's/^/    /' "$tmp/verify.out"
  check "$name: refused, naming $expected" bash -c "test $rc -eq 1 && grep -qF '$expected' '$tmp/verify.out'"
}
flip() {  # flip FILE OFFSET: inverts the byte at OFFSET
  local byte; byte=$(xxd -s "$2" -l 1 -p "$1")
  printf "$(printf '\\x%02x' $(( 0x$byte ^ 0xff )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
shard0=shard-00000-of-00002.safetensors shard1=shard-00001-of-00002.safetensors
refused "a byte of the manifest" "copy/manifest.json does not match its signature" \
  "flip manifest.json 20"
flip_signature() {  # the last hex digit of manifest.json.sig
  awk '{ d = substr($3, length($3)); $3 = substr($3, 1, length($3) - 1) (d == "0" ? "1" : "0"); print }' \
    manifest.json.sig > sig && mv sig manifest.json.sig
}
refused "a byte of the signature" "copy/manifest.json does not match its signature" flip_signature
refused "a byte of a shard" "copy/$shard1: its SHA-256 differs from the signed manifest" \
  "flip $shard1 $(( $(stat -c %s "$ckpt/step-00000008/$shard1") - 5 ))"
refused "two shards swapped" "copy/$shard0: its SHA-256 differs" \
  "mv $shard0 x && mv $shard1 $shard0 && mv x $shard1"
refused "a dropped signature" "copy/manifest.json.sig: missing" "rm manifest.json.sig"
"$bin" keys generate --out "$tmp/keys" --name other > /dev/null
refused "the wrong key" "manifest.json.sig: signed by key $fingerprint, not by key" "true" \
  "$tmp/keys/other.pub.pem"

# A resume that requires signatures falls back over a tampered newest checkpoint.
flip "$ckpt/step-00000008/$shard0" "$(( $(stat -c %s "$ckpt/step-00000008/$shard0") - 5 ))"
mpirun -np 2 "$bin" train -c "$config" "${base[@]}" --set run.name=signed --set optim.epochs=3 \
  --set "checkpoint.signing_key=$key" --set "checkpoint.public_key=$pub" \
  --set checkpoint.require_signature=true --resume auto --no-report > "$tmp/resume.out" 2>&1; rc=$?
grep -E "^warning|^resuming|^done" "$tmp/resume.out" | sed 's/^/    /'
check "the resume passes over the tampered checkpoint (named) for step 4 and finishes" \
  bash -c "test $rc -eq 0 && grep -q '$shard0: its SHA-256 differs' '$tmp/resume.out' &&
           grep -q 'resuming from .*step-00000004' '$tmp/resume.out' && grep -q '^done: 12 steps' '$tmp/resume.out'"

mpirun -np 2 "$bin" train -c "$config" "${base[@]}" --set run.name=unsigned --no-report \
  > /dev/null 2>&1
mpirun -np 2 "$bin" train -c "$config" "${base[@]}" --set run.name=unsigned --set optim.epochs=3 \
  --set "checkpoint.public_key=$pub" --set checkpoint.require_signature=true \
  --set checkpoint.fallback_to_previous=false --resume auto --no-report > "$tmp/unsigned.out" 2>&1; rc=$?
check "a resume that requires signatures refuses an unsigned checkpoint" \
  bash -c "test $rc -ne 0 && grep -q 'manifest.json.sig: missing' '$tmp/unsigned.out'"

# Refused before any work.
cp "$key" "$tmp/keys/open.pem" && chmod 644 "$tmp/keys/open.pem"
"$bin" train -c "$config" "${base[@]}" --set run.name=open --set "checkpoint.signing_key=$tmp/keys/open.pem" \
  > "$tmp/open.out" 2>&1; rc=$?
check "a private key others can read stops the run before it starts, named" \
  bash -c "test $rc -ne 0 && grep -q 'open.pem: permissions 0644 are too open' '$tmp/open.out' && test ! -e '$tmp/runs/open'"
"$bin" train -c "$config" "${base[@]}" --set run.name=nokey --set checkpoint.require_signature=true \
  > "$tmp/nokey.out" 2>&1; rc=$?
check "require_signature without a public key is refused by the config check" \
  bash -c "test $rc -eq 2 && grep -q 'checkpoint.public_key' '$tmp/nokey.out'"

# Export: a checked checkpoint, a signed file.
"$bin" export --checkpoint "$ckpt" --public-key "$pub" --signing-key "$key" \
  --out "$tmp/teacher.safetensors" > "$tmp/export.out" 2>&1 || cat "$tmp/export.out"
check "export checks the latest checkpoint's signature and signs the backbone it writes" \
  "$bin" keys verify "$tmp/teacher.safetensors" --public-key "$pub"
cp -r "$ckpt/step-00000012" "$tmp/step12" && flip "$tmp/step12/$shard1" 100
"$bin" export --checkpoint "$tmp/step12" --public-key "$pub" --out "$tmp/no.safetensors" \
  > "$tmp/export.out" 2>&1; rc=$?
check "export refuses a tampered checkpoint, naming the shard, and writes nothing" \
  bash -c "test $rc -ne 0 && grep -q 'step12/$shard1: its SHA-256 differs' '$tmp/export.out' && test ! -e '$tmp/no.safetensors'"
# Encrypted shards: AES-256-GCM, the step and file name authenticated with the bytes.
"$bin" keys generate-aes --out "$tmp/keys/data.key" > /dev/null
aes=$tmp/keys/data.key
check "the AES key file is owner-only (0600)" test "$(stat -c %a "$aes")" = 600
mpirun -np 2 "$bin" train -c "$config" "${base[@]}" --set run.name=sealed \
  --set "checkpoint.encryption_key=$aes" --set "checkpoint.signing_key=$key" --no-report \
  > "$tmp/sealed.out" 2>&1; rc=$?
sealed=$tmp/runs/sealed/checkpoints/step-00000008
check "a 2-rank run with an encryption key finishes" test $rc -eq 0
check "its shards are encrypted: the header, and no tensor name in the bytes" \
  bash -c "test \"\$(head -c 8 '$sealed/$shard0')\" = PDGCM001 && ! grep -q 'teacher.backbone' '$sealed/$shard0' '$sealed/$shard1'"
check "the audit log records which keys signed and encrypted each save" \
  bash -c "grep '\"checkpoint_save\"' '$tmp/runs/sealed/audit.jsonl' | grep -q '\"encrypted_with_key\":\"[0-9a-f]\{16\}\".*\"signed_by_key\":\"$fingerprint\"\|\"signed_by_key\":\"$fingerprint\".*\"encrypted_with_key\"'"
check "the manifest names the key by its fingerprint only" \
  bash -c "grep -q '\"AES-256-GCM\"' '$sealed/manifest.json' && ! grep -qF \"\$(cat '$aes')\" '$sealed/manifest.json'"
check "checkpoint verify decrypts and checks every tensor (and the signature)" \
  "$bin" checkpoint verify "$sealed" --encryption-key "$aes" --public-key "$pub"
unsealed() {  # unsealed NAME EXPECTED_TEXT TAMPER_COMMAND [KEY_ARGS...]
  local name=$1 expected=$2 tamper=$3; shift 3
  rm -rf "$tmp/copy" && cp -r "$sealed" "$tmp/copy"
  (cd "$tmp/copy" && eval "$tamper")
  "$bin" checkpoint verify "$tmp/copy" "$@" > "$tmp/verify.out" 2>&1; rc=$?
  sed 's/^/    /' "$tmp/verify.out"
  check "encrypted, $name: refused, naming $expected" bash -c "test $rc -eq 1 && grep -qF '$expected' '$tmp/verify.out'"
}
"$bin" keys generate-aes --out "$tmp/keys/other.key" > /dev/null
unsealed "no key" "copy/manifest.json: the shards are encrypted" true
unsealed "the wrong key" "copy/manifest.json: the shards are encrypted with key" true \
  --encryption-key "$tmp/keys/other.key"
unsealed "a flipped byte" "copy/$shard1: fails its authentication tag" \
  "flip $shard1 $(( $(stat -c %s "$sealed/$shard1") / 2 ))" --encryption-key "$aes"
unsealed "two shards swapped" "copy/$shard0: fails its authentication tag" \
  "mv $shard0 x && mv $shard1 $shard0 && mv x $shard1" --encryption-key "$aes"
mpirun -np 2 "$bin" train -c "$config" "${base[@]}" --set run.name=sealed --set optim.epochs=3 \
  --set "checkpoint.encryption_key=$aes" --resume auto --no-report > "$tmp/sealed2.out" 2>&1; rc=$?
check "the encrypted run resumes with its key and finishes" \
  bash -c "test $rc -eq 0 && grep -q 'resuming from .*step-00000008' '$tmp/sealed2.out' && grep -q '^done: 12 steps' '$tmp/sealed2.out'"
"$bin" export --checkpoint "$tmp/runs/sealed" --encryption-key "$aes" --out "$tmp/sealed.safetensors" \
  > /dev/null 2>&1
check "export decrypts the teacher of the latest encrypted checkpoint" test -s "$tmp/sealed.safetensors"
finish
