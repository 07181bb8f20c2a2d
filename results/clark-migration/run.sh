#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Rebuild the Clark et al. (NSDI 2005) web-server migration figure from the
# simulator (vcpusim migrate) and check its numbers against the paper's,
# each within 10%, and the stop-and-copy case exactly.
# usage: results/clark-migration/run.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/release}"
out="${2:-results/clark-migration/out}"
mkdir -p "$out"
"$build/bin/vcpusim" migrate results/clark-migration/clark.yaml \
    --out "$out/clark" --quiet
"$build/bin/vcpusim" migrate results/clark-migration/stopcopy.yaml \
    --out "$out/stopcopy" --quiet

checks="$out/checks-clark.txt"
: >"$checks"
status=0
# check NAME MEASURED PAPER UNIT: within 10% of the paper's number
check() {
    local v
    v=$(awk -v m="$2" -v p="$3" 'BEGIN {d = (m - p) / p; if (d < 0) d = -d;
        print (d <= 0.10 ? "ok" : "FAIL")}')
    printf '%-4s %-52s measured %10.3f  paper %8.3f %s\n' "$v" "$1" "$2" "$3" \
        "$4" | tee -a "$checks"
    [ "$v" = ok ] || status=1
}
exact() {
    local v=FAIL
    [ "$2" = "$3" ] && v=ok
    printf '%-4s %-52s measured %s  expected %s\n' "$v" "$1" "$2" "$3" |
        tee -a "$checks"
    [ "$v" = ok ] || status=1
}

c="$out/clark"
# rounds.csv: mig,round,stop_copy,start_s,end_s,bytes,rate_mbps,dirty_bytes
read -r start r1_end r1_mb down < <(awk -F, '
    $2 == 1 {s = $4; e = $5; b = $6 / 1e6}
    $3 == 1 {d = $4}
    END {print s, e, b, d}' "$c/rounds.csv")
# migrations.csv: mig,vm,result,reason,start_s,total_s,downtime_ms,...
read -r result downtime_ms total_s < <(awk -F, 'NR == 2 {print $3, $7, $6}' \
    "$c/migrations.csv")
# mean service throughput over the 100 ms samples wholly inside [a, b]
mean() { awk -F, -v a="$1" -v b="$2" 'NR > 1 && $1 - 0.1 >= a - 1e-9 &&
    $1 <= b + 1e-9 {s += $2; n++} END {print (n ? s / n : 0)}' \
    "$c/throughput_100ms.csv"; }
end=$(awk -v s="$start" -v t="$total_s" 'BEGIN {print s + t}')

exact "migration result" "$result" ok
check "migration starts (s)" "$start" 27 s
check "service before migration (Mbit/s)" "$(mean 1 "$start")" 870 Mbit/s
check "first round: bytes sent (MB)" "$r1_mb" 776 MB
check "first round: duration (s)" "$(awk -v a="$start" -v b="$r1_end" \
    'BEGIN {print b - a}')" 62 s
check "service during the first round (Mbit/s)" "$(mean "$start" "$r1_end")" \
    765 Mbit/s
check "later rounds: duration (s)" "$(awk -v a="$r1_end" -v b="$down" \
    'BEGIN {print b - a}')" 9.8 s
check "service during the later rounds (Mbit/s)" "$(mean "$r1_end" "$down")" \
    694 Mbit/s
check "downtime (ms)" "$downtime_ms" 165 ms
check "service after migration (Mbit/s)" "$(mean "$(awk -v e="$end" \
    'BEGIN {print e + 1}')" 130)" 870 Mbit/s

for r in 128:32 256:16 512:8; do
    got=$(awk -F, -v vm="vm${r%%:*}" '$2 == vm {print $6}' \
        "$out/stopcopy/migrations.csv")
    exact "stop-and-copy of 512 MB at ${r%%:*} Mbit/s (s)" "$got" \
        "${r##*:}.000000000"
done

gnuplot -e "dir='$c'; start=$start; r1=$r1_end; down=$down; \
    dt=$downtime_ms" results/clark-migration/clark.gp
echo "figure: $c/clark.png; checks: $checks"
exit $status
