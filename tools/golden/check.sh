#!/usr/bin/env bash
# tools/golden/check.sh: runs every fixture script (tools/golden/make_*.py) in a scratch copy of
# the repository layout and fails loudly when one no longer runs or writes nothing. The committed
# fixtures are not touched (a rerun differs from them in the last bits on other PyTorch/BLAS
# builds, so the check asks only that each script runs and produces its files).
#   tools/golden/check.sh                  needs PyTorch (Debian: apt-get install python3-torch python3-numpy python3-pil)
#   tools/golden/check.sh --if-available   skips with one line when PyTorch is missing (what ./liquid test runs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py="${LIQUID_PYTHON:-/usr/bin/python3}"

if ! "$py" -c 'import torch, numpy, PIL' >/dev/null 2>&1; then
  msg="golden check: $py cannot import torch, numpy and PIL (Debian: apt-get install python3-torch python3-numpy python3-pil)"
  if [ "${1:-}" = "--if-available" ]; then echo "$msg; the fixture scripts are not checked" >&2; exit 0; fi
  echo "$msg" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tools"
cp -r "$root/tools/golden" "$tmp/tools/"
rm -rf "$tmp/tools/golden/tokenizers"      # npm's fixtures are checked by the reference-tokenizer tests

failed=0
for script in "$tmp"/tools/golden/make_*.py; do
  name="$(basename "$script")"
  marker="$tmp/.before-$name"
  touch "$marker"
  sleep 0.01
  start=$(date +%s%N)
  if ! (cd "$tmp" && "$py" "$script" >"$tmp/$name.log" 2>&1); then
    echo "golden check: $name FAILED; its last lines:" >&2
    tail -n 15 "$tmp/$name.log" >&2
    failed=1
    continue
  fi
  written=$(find "$tmp" -type f -newer "$marker" ! -name '*.log' ! -name '*.pyc' ! -path '*/tools/golden/*' | wc -l)
  if [ "$written" -eq 0 ]; then
    echo "golden check: $name ran but wrote no fixture" >&2
    failed=1
    continue
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "golden check: $name ok ($written files, $ms ms)" >&2
done
exit "$failed"
