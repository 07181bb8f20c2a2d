# SPDX-License-Identifier: GPL-3.0-or-later
# Service throughput of the migrated web server against time, sampled at
# 100 ms and 500 ms (Clark et al. 2005, Figure 8). Variables from run.sh:
# dir, start (migration start, s), r1 (end of the first round), down
# (stop-and-copy start), dt (downtime, ms).
set terminal pngcairo size 1000,520 font ",11"
set output dir."/clark.png"
set datafile separator ","
set key bottom left
set xrange [0:130]
set yrange [0:1000]
set xlabel "Elapsed time (s)"
set ylabel "Throughput (Mbit/s)"
set title "Effect of migration on a web server (simulated; Clark et al. 2005, Fig. 8)"
set arrow from start, graph 0 to start, graph 1 nohead dt 2 lc rgb "#888888"
set arrow from r1, graph 0 to r1, graph 1 nohead dt 2 lc rgb "#888888"
set arrow from down, graph 0 to down, graph 1 nohead dt 2 lc rgb "#888888"
set label 1 "first round" at (start + r1) / 2, 960 center
set label 2 "later rounds" at (r1 + down) / 2, 910 center
set label 3 sprintf("%.0f ms down", dt) at down + 2, 120 left
plot dir."/throughput_100ms.csv" using ($1 - 0.1):2 with steps lc rgb "#9ecae1" \
        title "100 ms samples", \
     dir."/throughput_500ms.csv" using ($1 - 0.5):2 with steps lw 2 lc rgb "#08519c" \
        title "500 ms samples"
