#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Rebuild CloudSim's space-shared versus time-shared provisioning figure:
# the four combinations of VM-level and task-level sharing, a Gantt panel
# each, and a check of every task's completion time against the exact
# values of Calheiros et al. (SP&E 2011).
# usage: results/cloudsim-sharing/run.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/release}"
out="${2:-results/cloudsim-sharing/out}"
T=10 # seconds: the task length in cloudsim.yaml
mkdir -p "$out"
# expected completion times, in T, of t1..t8
declare -A expect=(
  [space-space]="1 1 2 2 3 3 4 4"
  [space-time]="2 2 2 2 4 4 4 4"
  [time-space]="2 2 4 4 2 2 4 4"
  [time-time]="4 4 4 4 4 4 4 4"
)
checks="$out/checks-cloudsim.txt"
: >"$checks"
status=0
for combo in space-space space-time time-space time-time; do
  vm=${combo%-*} task=${combo#*-}
  cpu=1
  [ "$vm" = time ] && cpu=2
  "$build/bin/vcpusim" run results/cloudsim-sharing/cloudsim.yaml --quiet \
      --out "$out/$combo" \
      --set "datacenter.vm_sharing=$vm" --set "datacenter.task_sharing=$task" \
      --set "datacenter.overcommit.cpu=$cpu"
  # finish times of t1..t8 (tasks.csv rows: VM1's tasks, then VM2's)
  got=$(awk -F, 'NR > 1 { printf "%s ", $8 }' "$out/$combo/tasks.csv")
  if ! awk -v got="$got" -v want="${expect[$combo]}" -v T="$T" \
        -v combo="$combo" 'BEGIN {
          n = split(got, g, " "); m = split(want, w, " "); bad = (n != 8)
          for (i = 1; i <= m; i++) {
            d = g[i] - w[i] * T; if (d < 0) d = -d
            ok = d < 1e-6
            printf "%s t%d: finished at %.9f s, expected %dT = %d s: %s\n", \
                   combo, i, g[i], w[i], w[i] * T, ok ? "ok" : "WRONG"
            if (!ok) bad = 1
          }
          exit bad }' >>"$checks"; then
    status=1
  fi
done
cat "$checks"
gnuplot -e "dir='$out'; T=$T" results/cloudsim-sharing/gantt.gp
echo "figure: $out/cloudsim-sharing.png"
[ $status = 0 ] && echo "cloudsim-sharing: all 32 completion times exact" ||
  echo "cloudsim-sharing: WRONG completion times (see $checks)"
exit $status
