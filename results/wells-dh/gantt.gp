# Gantt chart of the Wells experiment from a runtime and a simulator trace
# (as prepared by wells_check): one row per pCPU, coloured by vCPU, pCPU 3's
# offline window shaded grey, pCPU 2's half-speed period shaded orange,
# migrations as triangles, suspensions in the bottom row.
# gnuplot -e "policy='dh'; dir='OUT'" gantt.gp   -> OUT/wells-dh.png
if (!exists("policy")) policy = 'dh'
if (!exists("dir")) dir = '.'
set terminal pngcairo size 1100,720 noenhanced font ',10'
set output sprintf('%s/wells-%s.png', dir, policy)
set multiplot layout 2,1 title sprintf("4 vCPUs, 4 then 3 pCPUs (Wells et al. 2009), policy %s", policy)
set xlabel 'time since the VM started (ms)'
set ytics ('suspended' -1, 'pCPU 0' 0, 'pCPU 1' 1, 'pCPU 2' 2, 'pCPU 3' 3)
set yrange [-1.6:3.6]
set grid xtics
set key outside right top
set style fill solid 0.85 noborder
do for [side in "runtime sim"] {
    unset object
    load sprintf('%s/%s-%s.windows.gp', dir, policy, side)
    set object 1 rect from off_from, 2.55 to off_to, 3.45 fc rgb '#bbbbbb' fs solid 0.6 behind
    set object 2 rect from slow_from, 1.55 to off_to + 1e4, 2.45 fc rgb '#ffd59a' fs solid 0.5 behind
    set title (side eq 'sim' ? 'simulator (vcpusim)' : 'runtime (emulated 4-pCPU topology, real threads)')
    seg = sprintf('%s/%s-%s.seg', dir, policy, side)
    marks = sprintf('%s/%s-%s.marks', dir, policy, side)
    plot for [v=0:3] seg using (($4==v) ? ($2+$3)/2 : NaN):1:(($3-$2)/2):(0.35) \
             with boxxyerror lc v+1 title sprintf('vCPU %d', v), \
         marks using ((strcol(1) eq 'migrate') ? $2 : NaN):($3+0.42) \
             with points pt 9 ps 0.7 lc rgb 'black' title 'migration', \
         marks using ((strcol(1) eq 'suspend') ? $2 : NaN):(-1):($4+1) \
             with points pt 2 ps 1.2 lc variable title 'suspension'
}
unset multiplot
