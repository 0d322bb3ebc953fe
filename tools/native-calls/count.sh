#!/usr/bin/env bash
# Native calls per prepared eval forward of zoo models: one perf uprobe on every JNI entry point of
# DJL's libdjl_torch.so (each DJL op, each uncached shape/device/type read, each free, each call into
# a TorchScript module and its IValue conversions is one call),
# counted over N=10 and N=40 forwards; the difference / 30 is one forward's calls, by entry point.
# Needs root and perf (Debian: linux-perf).
# Usage: tools/native-calls/count.sh MODEL... [--side S] [--batch B] [--blocks]  (--blocks: block by block)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
side=32; batch=1; mode=scripted; models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --side) side="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --blocks) mode=blocks; shift ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || { echo "usage: $0 MODEL... [--side S] [--batch B] [--blocks]" >&2; exit 2; }
jar="$root/serving/target/convzoo.jar"
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package -pl serving -am) >&2
work="$(mktemp -d)"; trap 'rm -rf "$work"; perf probe -q -d "convzoo_jni:*" 2>/dev/null || true' EXIT
javac -cp "$jar" -d "$work" "$root/tools/native-calls/NativeCallsDriver.java"
export MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=4294967296
# The JNI library is unpacked by the first DJL start; run one tiny forward to be sure it is there.
java -Dai.djl.offline=true -cp "$jar:$work" NativeCallsDriver "${models[0]}" "$side" 1 0 >/dev/null 2>&1
lib="$(find "$HOME/.djl.ai/pytorch" -name '*libdjl_torch.so' | head -1)"
[ -n "$lib" ] || { echo "libdjl_torch.so not found under ~/.djl.ai/pytorch" >&2; exit 1; }
perf probe -q -d "convzoo_jni:*" 2>/dev/null || true
for sym in $(nm -D "$lib" | awk '$2 == "T" && $3 ~ /^Java_ai_djl_pytorch_jni_PyTorchLibrary_/ {print $3}'); do
  name="${sym#Java_ai_djl_pytorch_jni_PyTorchLibrary_}"
  perf probe -q -x "$lib" -a "convzoo_jni:j_${name//__/_}=$sym" 2>/dev/null || true
done
events="$(perf probe -l 2>/dev/null | awk '$1 ~ /^convzoo_jni:/ {print $1}' | paste -sd,)"
for model in "${models[@]}"; do
  for n in 10 40; do
    perf stat -x, -e "$events" -o "$work/$n.csv" \
      java -Dai.djl.offline=true -cp "$jar:$work" NativeCallsDriver "$model" "$side" "$batch" "$n" "$mode" >/dev/null 2>&1
  done
  python3 - "$model" "$work/10.csv" "$work/40.csv" <<'P'
import sys
def counts(path):
    out = {}
    for line in open(path):
        f = line.strip().split(',')
        if len(f) > 3 and f[0].replace('.', '').isdigit():
            out[f[2].split(':')[-1][2:]] = float(f[0])
    return out
a, b = counts(sys.argv[2]), counts(sys.argv[3])
per = {k: (b[k] - a.get(k, 0)) / 30 for k in b}
per = {k: v for k, v in per.items() if v}
print('%s: %d native calls per forward' % (sys.argv[1], round(sum(per.values()))))
print('  ' + ', '.join('%s %g' % (k, v) for k, v in sorted(per.items(), key=lambda kv: -kv[1])))
P
done
