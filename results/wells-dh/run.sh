#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Rebuild the Wells et al. figure: the same experiment in the simulator and
# in the runtime, for dh, rr and fair; checks (wells_check) and a Gantt
# chart per policy. usage: results/wells-dh/run.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/release}"
out="${2:-results/wells-dh/out}"
mkdir -p "$out"
status=0
for p in dh rr fair; do
  "$build/bin/vcpusim" run results/wells-dh/wells.yaml --policy "$p" \
      --out "$out/sim" --quiet
  traces=()
  for r in 1 2 3; do  # the runtime is timed on a shared machine: 3 runs
    "$build/bin/wells_rt" --policy "$p" --out "$out/runtime/$p/run$r"
    traces+=("$out/runtime/$p/run$r/trace.csv")
  done
  if ! "$build/bin/wells_check" "$p" "$out" "$out/sim/$p/trace.csv" \
        "${traces[@]}"; then
    status=1
  fi
  gnuplot -e "policy='$p'; dir='$out'" results/wells-dh/gantt.gp
  echo "figure: $out/wells-$p.png"
done
exit $status
