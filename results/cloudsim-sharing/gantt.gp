# Four Gantt panels, one per combination of VM-level and task-level
# sharing: a bar per task from its start to its finish, in units of T.
# usage: gnuplot -e "dir='OUT_DIR'; T=10" results/cloudsim-sharing/gantt.gp
if (!exists("dir")) dir = 'results/cloudsim-sharing/out'
if (!exists("T")) T = 10.0
set terminal pngcairo size 1100,760 noenhanced font ',11'
set output dir.'/cloudsim-sharing.png'
set datafile separator ','
set multiplot layout 2,2 title "CloudSim provisioning: one host of 2 cores, two VMs of 2 vCPUs, 4 tasks of length T per VM" font ',13'
set xrange [0:4.45]
set yrange [0.3:8.7]
set xtics 1
set format x '%gT'
set ytics ("t1" 1, "t2" 2, "t3" 3, "t4" 4, "t5" 5, "t6" 6, "t7" 7, "t8" 8)
set grid x
set xlabel 'time'
set style fill solid 0.75 border -1
# tasks.csv: vm,name,replica,task,work_s,state,start_s,finish_s
# row r (0-based, data lines) is task r+1 (VM1's four, then VM2's).
row(vm, task) = 4*vm + task + 1
do for [c in "space-space space-time time-space time-time"] {
  v = word(system("echo ".c." | tr '-' ' '"), 1)
  t = word(system("echo ".c." | tr '-' ' '"), 2)
  set title sprintf("VMs %s-shared, tasks %s-shared", v, t)
  plot dir.'/'.c.'/tasks.csv' every ::1 using \
       (($7+$8)/2/T):(row($1,$4)):(($8-$7)/2/T):(0.35):($1+1) \
       with boxxyerror lc variable notitle, \
       '' every ::1 using ($8/T):(row($1,$4)):($8 == T ? "T" : sprintf("%.0fT", $8/T)) \
       with labels offset 2.2,0 notitle
}
unset multiplot
