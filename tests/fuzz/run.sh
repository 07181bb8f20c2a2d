#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Fuzz the workload readers: build one libFuzzer target per format with
# clang (ASan + UBSan; not the main CMake build, which uses gcc) and run
# each for a fixed time from a seed corpus of workloads/samples and
# tests/fuzz/regressions. A crash stops the script with the input kept in
# OUTDIR (a temp folder by default, removed when every target passes);
# copy it to tests/fuzz/regressions/<format>/ so that
# unit.wl_fuzz_regressions replays it from then on.
#   tests/fuzz/run.sh [SECONDS_PER_TARGET (5)] [OUTDIR (a temp folder)]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-5}"
made=$([ -z "${2:-}" ] && echo 1 || echo 0) # a temp folder: removed if all pass
out="${2:-$(mktemp -d /tmp/wlfuzz.XXXXXX)}"
cc="${CC_FUZZ:-clang}"
mkdir -p "$out/obj" "$out/bin" "$out/corpus"

read -ra pc_cflags <<<"$(pkg-config --cflags gsl zlib)"
read -ra pc_libs <<<"$(pkg-config --libs gsl zlib)"
flags=(-g -O1 -std=c11 -D_GNU_SOURCE -fno-omit-frame-pointer
       -fsanitize=address,undefined -fno-sanitize-recover=all
       -Iworkloads -Ilibvcpu/include "${pc_cflags[@]}")

# The library once, instrumented for coverage.
objs=()
for src in workloads/*.c libvcpu/src/core/trace.c; do
  o="$out/obj/$(basename "$src" .c).o"
  "$cc" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$o"
  objs+=("$o")
done

# name : format : seed files in workloads/samples
targets=(
  "swf:WL_FMT_SWF:kth.swf"
  "azure-vmtable:WL_FMT_AZURE_VMTABLE:vmtable.csv"
  "azure-cpu:WL_FMT_AZURE_CPU:vm_cpu_readings.csv"
  "google-task:WL_FMT_GOOGLE_TASK:task_events.csv"
  "google-job:WL_FMT_GOOGLE_JOB:job_events.csv"
  "google-machine:WL_FMT_GOOGLE_MACHINE:machine_events.csv"
  "google-usage:WL_FMT_GOOGLE_USAGE:task_usage.csv"
  "alibaba-meta:WL_FMT_ALIBABA_META:machine_meta.csv"
  "alibaba-usage:WL_FMT_ALIBABA_USAGE:machine_usage.csv"
  "bitbrains:WL_FMT_BITBRAINS:bitbrains.csv"
  "planetlab:WL_FMT_PLANETLAB:planetlab.txt"
  "vcpu-trace:WL_FMT_VTRACE:trace.csv"
  "auto:WL_FMT_AUTO:*"
)
for t in "${targets[@]}"; do
  IFS=: read -r name enum seeds <<<"$t"
  bin="$out/bin/fuzz_$name"
  "$cc" "${flags[@]}" -fsanitize=fuzzer -DFUZZ_FORMAT="$enum" \
    tests/fuzz/fuzz_reader.c "${objs[@]}" "${pc_libs[@]}" -lm -o "$bin"
  corpus="$out/corpus/$name"
  mkdir -p "$corpus"
  for f in workloads/samples/$seeds tests/fuzz/regressions/"$name"/*; do
    [ -f "$f" ] && [ "${f##*/}" != README.md ] && cp "$f" "$corpus/"
  done
  if ! "$bin" -max_total_time="$secs" -max_len=16384 -timeout=10 \
       -rss_limit_mb=2048 -artifact_prefix="$out/crash-$name-" \
       "$corpus" >"$out/$name.log" 2>&1; then
    echo "fuzz: $name FAILED (input and log in $out):" >&2
    tail -40 "$out/$name.log" >&2
    exit 1
  fi
  runs=$(grep -Eo '^Done [0-9]+ runs' "$out/$name.log" | grep -Eo '[0-9]+' ||
         true)
  echo "fuzz: $name ok (${runs:-?} runs in ${secs}s)"
done
if [ "$made" = 1 ]; then
  rm -rf "$out"
fi
