#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every benchmark in results/bench, on a Release build, written to
# results/bench/results.md (one table: what, command, median, baseline
# measured in the same run, ratio, target, met?) with the CSVs and
# scaling.png next to it. This machine is shared and noisy: every figure is
# the median of REPS repetitions (default 5).
#
# usage: results/bench/run.sh [--quick] [--full] [--no-simgrid]
#   --quick       fewer events and hosts: a smoke run of the script itself
#   --full        also the 10-simulated-minute hosts run (rr, one repetition;
#                 about an hour)
#   --no-simgrid  skip the SimGrid comparison
# Environment: REPS (5), BUILD (build/bench), SG_TIMEOUT (300 s: SimGrid at
# 10,000 hosts), LTO (0; 1 adds link-time optimisation to the whole Release
# build, which inlines the core's calls into the simulator). libvcpu.so and
# rt_bench are link-time optimised either way, as the release preset
# builds them (VCPU_LTO); rt_bench_so measures the runtime through
# libvcpu.so.
#
# The SimGrid comparison needs Debian's libsimgrid-dev (3.32). It is not in
# scripts/setup (CI does not run benchmarks): when pkg-config cannot find
# simgrid, this script installs it with apt-get if it runs as root, else
# skips the comparison and says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=$root/results/bench
build=${BUILD:-$root/build/bench}
reps=${REPS:-5}
sg_timeout=${SG_TIMEOUT:-300}
lto=${LTO:-0}
quick=0 full=0 simgrid=1
for a in "$@"; do
    case $a in
    --quick) quick=1 ;;
    --full) full=1 ;;
    --no-simgrid) simgrid=0 ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64 ;;
    esac
done

log() { printf '== %s\n' "$*" >&2; }
# median of the numbers on stdin
median() { sort -g | awk '{v[NR] = $1} END {if (!NR) print "-";
    else if (NR % 2) print v[(NR + 1) / 2];
    else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f\n", b - a}'; }
fmt() { awk -v x="$1" 'BEGIN {
    if (x == "" || x == "-") print "-";
    else if (x >= 1e6) printf "%.2fM\n", x / 1e6;
    else if (x >= 1e4) printf "%.0fk\n", x / 1e3;
    else printf "%.3g\n", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }

# ---- build ------------------------------------------------------------------
log "Release build in $build (LTO=$lto)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DVCPU_WERROR=ON \
    -DVCPU_LTO=ON \
    -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=$([ "$lto" = 1 ] && echo ON || echo OFF) \
    >/dev/null
targets="core_bench ctx_bench sim_bench vcpusim"
for t in rt_bench rt_bench_so wl_bench mig_bench place_bench; do
    grep -q "add_executable($t" "$out/CMakeLists.txt" && targets="$targets $t"
done
cmake --build "$build" -j"$(nproc)" --target $targets >/dev/null
bin=$build/bin

rows=$out/.rows.md
: >"$rows"
row() { printf '| %s |\n' "$(IFS='|'; echo "$*" | sed 's/|/ | /g')" >>"$rows"; }
csvs=()

# ---- core and context switch ------------------------------------------------
log core_bench
rm -f "$out/core_bench.csv"
cycles=$([ $quick = 1 ] && echo 200000 || echo 2000000)
cmd="core_bench --cycles $cycles --reps $reps"
"$bin/core_bench" --cycles "$cycles" --reps "$reps" --csv "$out/core_bench.csv" >&2
csvs+=(core_bench.csv)
# topo,npcpus,vcpus,policy,median,min,max,ratio (fifo is the baseline)
base=$(awk -F, '$4 == "fifo" {print $5}' "$out/core_bench.csv")
while IFS=, read -r _ _ _ pol med _ _ rat; do
    [ "$pol" = fifo ] && continue
    row "core: stop-enqueue-pick-run cycles/s, $pol" "\`$cmd\`" "$(fmt "$med")" \
        "$(fmt "$base") (fifo)" "$rat" "-" "-"
done <"$out/core_bench.csv"

log ctx_bench
rm -f "$out/ctx_bench.csv"
sw=$([ $quick = 1 ] && echo 2000000 || echo 20000000)
"$bin/ctx_bench" --switches "$sw" --reps "$reps" --csv "$out/ctx_bench.csv" >&2
csvs+=(ctx_bench.csv)
# impl,switches,reps,median_ns,min,max,ratio_vs_fcontext
read -r lib_ns lib_ratio < <(awk -F, 'NR > 1 && $1 == "libvcpu" {print $4, $7}' \
    "$out/ctx_bench.csv")
fc_ns=$(awk -F, 'NR > 1 && $1 == "fcontext" {print $4}' "$out/ctx_bench.csv")
row "context switch, ns (libvcpu asm)" "\`ctx_bench --switches $sw --reps $reps\`" \
    "${lib_ns} ns" "${fc_ns} ns (Boost fcontext)" "$lib_ratio" "<= 1.5" \
    "$(awk -v r="$lib_ratio" 'BEGIN {print (r <= 1.5 ? "yes" : "no")}')"

if [[ $targets == *rt_bench* ]]; then
    log rt_bench
    rm -f "$out/rt_bench.csv"
    if "$bin/rt_bench" all --reps "$reps" --csv "$out/rt_bench.csv" >&2; then
        csvs+=(rt_bench.csv)
        row "runtime end to end (rt_bench; RUNTIME.md)" "\`rt_bench all --reps $reps\`" \
            "see rt_bench.csv" "in rt_bench.csv" "-" "-" "-"
    fi
fi
if [[ $targets == *rt_bench_so* ]]; then
    log rt_bench_so
    rm -f "$out/rt_bench_so.csv"
    if "$bin/rt_bench_so" all --reps "$reps" --csv "$out/rt_bench_so.csv" >&2; then
        csvs+=(rt_bench_so.csv)
        row "runtime through libvcpu.so (rt_bench_so; RUNTIME.md)" \
            "\`rt_bench_so all --reps $reps\`" "see rt_bench_so.csv" \
            "in rt_bench_so.csv" "-" "-" "-"
    fi
fi

if [[ $targets == *wl_bench* ]]; then
    log wl_bench
    rm -f "$out/wl_bench.csv"
    mb=$([ $quick = 1 ] && echo 2 || echo 20)
    if "$bin/wl_bench" --mb "$mb" --reps "$reps" --csv "$out/wl_bench.csv" >&2; then
        csvs+=(wl_bench.csv)
        row "workload readers (wl_bench; WORKLOADS.md)" \
            "\`wl_bench --mb $mb --reps $reps\`" "see wl_bench.csv" \
            "in wl_bench.csv" "-" "-" "-"
    fi
fi

# ---- simulator: PHOLD ------------------------------------------------------------
log "sim_bench phold"
rm -f "$out/phold.csv"
end=$([ $quick = 1 ] && echo 2000 || echo 20000)
cmd="sim_bench phold --end $end --reps $reps"
"$bin/sim_bench" phold --end "$end" --reps "$reps" --csv "$out/phold.csv" >&2
csvs+=(phold.csv)
# model,queue,lps,end,unit,remote,events,reps,median,min,max,ratio
read -r ph_med ph_rat < <(awk -F, '$2 == "4-ary" {print $9, $12}' "$out/phold.csv")
ph_base=$(awk -F, '$2 == "binary" {print $9}' "$out/phold.csv")
row "PHOLD events/s (1,024 LPs, 1 event each, remote 0.25; 1 unit = 1 us)" \
    "\`$cmd\`" "$(fmt "$ph_med")" "$(fmt "$ph_base") (binary heap); ROSS ~2.7M (not re-measured)" \
    "$ph_rat" ">= 10M" "$(awk -v x="$ph_med" 'BEGIN {print (x >= 1e7 ? "yes" : "no")}')"

# ---- simulator: live migration at scale -------------------------------------------
if [[ $targets == *mig_bench* ]]; then
    mh=$([ $quick = 1 ] && echo 100 || echo 1000)
    mm=$([ $quick = 1 ] && echo 1000 || echo 10000)
    log "mig_bench: $mm migrations over $mh hosts"
    rm -f "$out/mig_bench.csv"
    cmd="mig_bench --hosts $mh --migrations $mm --reps $reps"
    "$bin/mig_bench" --hosts "$mh" --migrations "$mm" --reps "$reps" \
        --csv "$out/mig_bench.csv" >&2
    csvs+=(mig_bench.csv)
    # hosts,migrations,...,median_wall_s,us_per_migration,sim_s,recomputes,
    # completed,failed,all_ended
    IFS=, read -r _ _ _ _ _ _ mw mus _ _ mok mfail mall < <(sed -n 2p \
        "$out/mig_bench.csv")
    row "live migrations, wall us per migration simulated ($mm concurrent over $mh hosts, 10 Gbit/s NICs, $mok completed, $mfail failed; all ended with a reason: $mall)" \
        "\`$cmd\`" "$mus us ($mw s)" "-" "-" "-" "$mall"
    cmd="mig_bench --hosts $mh --migrations $mm --reps $reps --nic-gbps 1 --rack-gbps 10 --quantum-us 250000"
    $bin/$cmd --csv "$out/mig_bench_oversub.csv" >&2 && csvs+=(mig_bench_oversub.csv) && IFS=, read -r _ _ _ _ _ _ mw mus _ _ mok mfail mall < <(sed -n 2p "$out/mig_bench_oversub.csv") && row "live migrations, oversubscribed fabric (1 Gbit/s NICs, 10 Gbit/s racks, 250 ms rate quantum; $mok completed, $mfail failed; all ended with a reason: $mall)" "\`$cmd\`" "$mus us ($mw s)" "-" "-" "-" "$mall"
fi

if [[ $targets == *place_bench* ]]; then
    ph=$([ $quick = 1 ] && echo 5000 || echo 50000)
    pv=$([ $quick = 1 ] && echo 10000 || echo 100000)
    log "place_bench: $pv VMs on $ph hosts"
    rm -f "$out/place_bench.csv"
    cmd="place_bench --hosts $ph --vms $pv --reps $reps"
    "$bin/place_bench" --hosts "$ph" --vms "$pv" --reps "$reps" \
        --csv "$out/place_bench.csv" >&2
    csvs+=(place_bench.csv)
    # policy,hosts,vms,reps,median_s,ns_per_placement,placed,waiting
    naive=$(awk -F, '$1 == "naive_first_fit" {print $6}' "$out/place_bench.csv")
    while IFS=, read -r pol _ _ _ ms ns _ _; do
        [ "$pol" = naive_first_fit ] && continue
        row "placement, ns per VM placed, $pol ($pv VMs on $ph hosts; PLACEMENT.md)" \
            "\`$cmd\`" "$ns ns ($ms s)" "$naive ns (naive linear first-fit)" \
            "$(ratio "$naive" "$ns")" "100,000 VMs in < 1 s" \
            "$(awk -v s="$ms" 'BEGIN {print (s < 1) ? "yes" : "no"}')"
    done < <(tail -n +2 "$out/place_bench.csv")
fi

# ---- simulator: host tier ---------------------------------------------------------
hosts=$([ $quick = 1 ] && echo 100 || echo 1000)
dur=$([ $quick = 1 ] && echo 200ms || echo 1s)
log "sim_bench hosts: $hosts x 32 pCPUs x 4 vCPUs/pCPU, $dur"
rm -f "$out/hosts.csv"
cmd="sim_bench hosts --hosts $hosts --per-pcpu 4 --policy rr,fair,dh --duration $dur --reps $reps"
"$bin/sim_bench" hosts --hosts "$hosts" --per-pcpu 4 --policy rr,fair,dh \
    --duration "$dur" --reps "$reps" --csv "$out/hosts.csv" >&2
csvs+=(hosts.csv)
# model,policy,hosts,pcpus,vcpus,dur,reps,events,median,min,max,sim_s,total_b,
# marginal_b,ratio,rss
hbase=$(awk -F, '$2 == "fifo" {print $9}' "$out/hosts.csv")
while IFS=, read -r _ pol _ _ vc _ _ ev med _ _ sims tb mb rat _; do
    [ "$pol" = fifo ] && continue
    met=$(awk -v x="$med" 'BEGIN {print (x >= 1e7 ? "yes" : "no")}')
    row "host tier events/s, $pol ($vc vCPUs, $dur simulated, $(fmt "$ev") events; $sims simulated s per s)" \
        "\`$cmd\`" "$(fmt "$med")" "$(fmt "$hbase") (fifo)" "$rat" ">= 10M" "$met"
done < <(tail -n +2 "$out/hosts.csv")
while IFS=, read -r _ pol _ _ _ _ _ _ _ _ _ _ tb mb _ _; do
    [ "$pol" = fifo ] && continue
    met=$(awk -v x="$mb" 'BEGIN {print (x <= 256 ? "yes" : "no")}')
    row "bytes per vCPU beyond the event queue, $pol (marginal; all model memory / vCPUs in brackets)" \
        "same run (mallinfo2)" "$mb ($tb)" "-" "-" "<= 256" "$met"
done < <(tail -n +2 "$out/hosts.csv")

# A 10-minute run takes about an hour: without --full, the last one's
# figure (hosts_10min.csv, from an earlier --full) is reported as such.
if [ $full = 0 ] && [ -f "$out/hosts_10min.csv" ]; then
    csvs+=(hosts_10min.csv)
    read -r ev med < <(awk -F, 'NR == 2 {print $8, $9}' "$out/hosts_10min.csv")
    row "host tier events/s, rr, 10 simulated minutes ($(fmt "$ev") events; one repetition, from an earlier --full run)" \
        "\`sim_bench hosts --hosts 1000 --policy rr --duration 10min --reps 1\`" \
        "$(fmt "$med")" "-" "-" ">= 10M" \
        "$(awk -v x="$med" 'BEGIN {print (x >= 1e7 ? "yes" : "no")}')"
fi
if [ $full = 1 ]; then
    log "sim_bench hosts: 10 simulated minutes (rr, one repetition)"
    rm -f "$out/hosts_10min.csv"
    "$bin/sim_bench" hosts --hosts 1000 --per-pcpu 4 --policy rr \
        --baseline none --duration 10min --reps 1 --no-marginal \
        --csv "$out/hosts_10min.csv" >&2
    csvs+=(hosts_10min.csv)
    read -r ev med < <(awk -F, 'NR == 2 {print $8, $9}' "$out/hosts_10min.csv")
    row "host tier events/s, rr, 10 simulated minutes ($(fmt "$ev") events; one repetition)" \
        "\`sim_bench hosts --hosts 1000 --policy rr --duration 10min --reps 1\`" \
        "$(fmt "$med")" "-" "-" ">= 10M" \
        "$(awk -v x="$med" 'BEGIN {print (x >= 1e7 ? "yes" : "no")}')"
fi

# ---- simulator: scaling -------------------------------------------------------------
sizes=$([ $quick = 1 ] && echo 10000,30000,100000 || echo 10000,30000,100000,300000,1000000)
log "sim_bench scaling: $sizes vCPUs"
rm -f "$out/scaling.csv"
"$bin/sim_bench" scaling --vcpus "$sizes" --policy rr --duration 100ms \
    --warmup 50ms --reps "$reps" --no-marginal --csv "$out/scaling.csv" >&2
csvs+=(scaling.csv)
gnuplot <<EOF
set terminal pngcairo size 800,500 enhanced font ',11'
set output '$out/scaling.png'
set datafile separator ','
set title 'vcpusim host tier: events/s against vCPUs (rr, 32-pCPU hosts, 4 vCPUs/pCPU)'
set xlabel 'vCPUs'
set ylabel 'events/s (median of $reps)'
set logscale x
set xrange [5000:2000000]
set format x '10^{%L}'
set format y '%.0s%c'
set yrange [0:*]
set grid
set key off
plot '$out/scaling.csv' every ::1 using 5:9 with linespoints lw 2 pt 7
EOF
first=$(awk -F, 'NR == 2 {print $9}' "$out/scaling.csv")
last=$(awk -F, 'END {print $9}' "$out/scaling.csv")
row "events/s from $(awk -F, 'NR == 2 {print $5}' "$out/scaling.csv") to $(awk -F, 'END {print $5}' "$out/scaling.csv") vCPUs (scaling.png)" \
    "\`sim_bench scaling --vcpus $sizes --duration 100ms\`" \
    "$(fmt "$first") -> $(fmt "$last")" "-" "$(ratio "$last" "$first")" "-" "-"

# ---- SimGrid --------------------------------------------------------------------------
sg_ok=0
if [ $simgrid = 1 ]; then
    if ! pkg-config --exists simgrid 2>/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            log "installing libsimgrid-dev (apt-get)"
            apt-get install -y libsimgrid-dev >/dev/null 2>&1 || true
        fi
    fi
    if pkg-config --exists simgrid gsl; then
        sg_ok=1
    else
        log "SimGrid not available (libsimgrid-dev): comparison skipped"
        row "SimGrid comparison" "-" "skipped: libsimgrid-dev not installed" "-" "-" "-" "-"
    fi
fi
if [ $sg_ok = 1 ]; then
    log "SimGrid $(pkg-config --modversion simgrid): building sg_vms"
    sgdir=$out/simgrid
    ${CXX:-g++} -O2 -std=c++17 -o "$build/sg_vms" "$sgdir/sg_vms.cpp" \
        $(pkg-config --cflags --libs simgrid gsl)
    work="500000000 1500000000"
    csv=$out/simgrid.csv
    echo "hosts,tool,rep,process_s,engine_s,finished" >"$csv"
    csvs+=(simgrid.csv)
    tmp=$(mktemp -d)
    # Completion times: each VM's finish (vcpusim) against the last of its
    # four executions (SimGrid); the largest relative difference.
    compare_completions() {
        awk -F, -v n="$1" 'FNR == 1 {f++; next}
            f == 1 {t[$1] = $2; next}
            {j = $1; h = j % n; v = int(j / n); m = -1
             for (k = 0; k < 4; k++) {x = t[(h * 4 + v) * 4 + k]; if (x > m) m = x}
             d = ($7 / 1e9 - m) / m; if (d < 0) d = -d; if (d > w) w = d}
            END {printf "%s %.2e\n", n, w}' "$tmp/sg.csv" "$tmp/v/rr/vms.csv" \
            >>"$tmp/diffs"
    }
    sizes_sg=$([ $quick = 1 ] && echo "100 1000" || echo "100 1000 10000")
    for n in $sizes_sg; do
        for r in $(seq "$reps"); do
            rm -rf "$tmp/v"
            t0=$(now)
            "$bin/vcpusim" run --quiet --out "$tmp/v" --set hosts.0.count="$n" \
                --set vms.0.count=$((4 * n)) "$sgdir/vms.yaml"
            t1=$(now)
            eng=$(awk '/^wall_s:/ {print $2}' "$tmp/v/rr/summary.txt")
            echo "$n,vcpusim,$r,$(elapsed "$t0" "$t1"),$eng,$((16 * n))" >>"$csv"
        done
        for mode in vm novm; do
            extra=$([ $mode = novm ] && echo --novm || true)
            runs=$reps
            [ "$n" -ge 10000 ] && runs=1
            for r in $(seq "$runs"); do
                rm -f "$tmp/sg.csv"
                t0=$(now)
                line=$(timeout "$sg_timeout" "$build/sg_vms" "$n" --uniform $work \
                    $extra --csv "$tmp/sg.csv" --log=root.thres:critical \
                    --cfg=contexts/guard-size:0 --cfg=contexts/stack-size:64 ||
                    true)
                t1=$(now)
                if [ -n "$line" ]; then
                    IFS=, read -r _ _ _ fin _ _ run <<<"$line"
                    echo "$n,simgrid-$mode,$r,$(elapsed "$t0" "$t1"),$run,$fin" >>"$csv"
                    [ "$r" = 1 ] && [ $mode = vm ] && compare_completions "$n"
                else
                    echo "$n,simgrid-$mode,$r,>$sg_timeout,-,0" >>"$csv"
                fi
            done
        done
    done
    for n in $sizes_sg; do
        med() { awk -F, -v n="$n" -v t="$1" -v c="$2" \
            '$1 == n && $2 == t && $c !~ /^[>-]/ {print $c}' "$csv" | median; }
        vp=$(med vcpusim 4)
        ve=$(med vcpusim 5)
        gp=$(med simgrid-vm 4)
        ge=$(med simgrid-vm 5)
        np=$(med simgrid-novm 4)
        dnf=$(awk -F, -v n="$n" '$1 == n && $2 == "simgrid-vm" && $4 ~ /^>/' "$csv")
        [ -n "$dnf" ] && gp=">$sg_timeout" ge="-"
        d=$(awk -v n="$n" '$1 == n {print $2}' "$tmp/diffs")
        d=${d:-"(not compared: SimGrid did not finish)"}
        target="-" met="-"
        if [ "$n" = 1000 ]; then target=">= 100x"; fi
        if [ -n "$dnf" ]; then
            r=">$(awk -v a="$sg_timeout" -v b="$vp" 'BEGIN {printf "%.0f", a / b}')"
        else
            r=$(ratio "$gp" "$vp")
        fi
        [ "$n" = 1000 ] && met=$(awk -v r="${r#>}" 'BEGIN {print (r >= 100 ? "yes" : "no")}')
        row "SimGrid comparison, $n hosts ($((16 * n)) executions): wall s, whole process (engine only: vcpusim $ve, SimGrid $ge; SimGrid without VMs $np s); completion times differ by at most $d" \
            "\`results/bench/run.sh\` (vcpusim run simgrid/vms.yaml vs simgrid/sg_vms)" \
            "$vp s" "$gp s (SimGrid VM model)" "$r" "$target" "$met"
        if [ "$n" = 10000 ]; then
            row "vcpusim, 10,000 hosts, whole process" "same" "$vp s" "-" "-" "< 1 s" \
                "$(awk -v x="$vp" 'BEGIN {print (x < 1 ? "yes" : "no")}')"
        fi
    done
    rm -rf "$tmp"
fi

# ---- results.md -------------------------------------------------------------------------
{
    echo "# Benchmarks"
    echo
    echo "Written by \`results/bench/run.sh\` on $(date -u +%Y-%m-%d) ($(uname -m)," \
        "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) CPUs;" \
        "Release build, LTO $([ "$lto" = 1 ] && echo on || echo off); REPS=$reps$([ $quick = 1 ] && echo ', --quick')." \
        "Every figure is the median of the repetitions; a baseline is measured in the same run."
    echo
    echo "| what | command | median | baseline (same run) | ratio | target | met? |"
    echo "|---|---|---|---|---|---|---|"
    cat "$rows"
    echo
    echo "CSV: $(printf '`%s` ' "${csvs[@]}"); figure: \`scaling.png\`."
    echo
    cat <<'EOF'
Notes.
- Host tier: N hosts of `pack:2 l3:2 core:8 pu:1` (32 pCPUs), 4 vCPUs per
  pCPU in 4-vCPU VMs, half CPU-bound (compute exp 5 ms, forever), half
  I/O-bound (compute exp 200 us, block exp 1 ms); slice 1 ms; 100 ms warm-up
  before the timed interval. Events are those the engine pops (cancelled
  ones included). Memory: bytes the allocator holds for the model
  (mallinfo2) less the event queues; "marginal" is (mem(8 vCPUs/pCPU) -
  mem(4)) / (the vCPUs added), what one more vCPU costs with its share of
  a VM; the bracket divides everything, hosts and pCPUs included, by the
  vCPUs.
- PHOLD: ROSS's parameters; times in ns, 1 time unit = 1,000 ns, so a hop
  is 1,000 ns + exp(mean 1,000 ns). Baseline: the same model on a textbook
  binary heap of the same records (same order, same events).
- SimGrid: `simgrid/sg_vms.cpp` (s4u, SimGrid's VM model, empty zone) and
  `simgrid/vms.yaml` draw the same work for every vCPU (uniform 0.5-1.5 s),
  so each execution ends at its own instant; the ratio is SimGrid's median
  wall time over vcpusim's, both whole processes (vcpusim writes its CSV
  tables too). SimGrid runs with `contexts/guard-size:0` and a 64 KiB
  stack: with guard pages, 160,000 actors exceed the kernel's map count.
  At 10,000 hosts SimGrid runs once, under a SG_TIMEOUT limit.
EOF
} >"$out/results.md"
rm -f "$rows"
log "wrote $out/results.md"
