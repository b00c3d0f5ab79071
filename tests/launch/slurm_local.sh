#!/bin/bash
# Single-node Slurm (Debian 12 / Slurm 22.05) for testing job scripts. Run as root.
# (From the team's shared tools, ../shared/tools/slurm-local.sh, kept here so a clean clone's CI
# has it; launch/setup.sh installs the Slurm and munge packages.)
# Usage: slurm-local.sh up|test|down    then: export SLURM_CONF=$D/etc/slurm.conf
set -euo pipefail
D=${SLURM_LOCAL_DIR:-/tmp/slurm-local}; export SLURM_CONF=$D/etc/slurm.conf
CPUS=${SLURM_LOCAL_CPUS:-$(nproc)}   # may exceed nproc (config_overrides) to test --ntasks>cores
case "${1:-up}" in
up)
  t0=$(date +%s.%N)
  pkgs='slurmctld slurmd slurm-client munge'
  apt-get install -y -q --no-install-recommends $pkgs >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -q --no-install-recommends $pkgs >/dev/null; }
  mkdir -p $D/{etc,state,spool,log,out} /run/munge && rm -rf $D/state/* $D/spool/*
  chown munge:munge /run/munge && chmod 755 /run/munge      # no systemd -> no tmpfiles
  [ -s /etc/munge/munge.key ] || runuser -u munge -- mungekey -c
  munge -n >/dev/null 2>&1 || runuser -u munge -- /usr/sbin/munged   # must run as user munge
  MEM=$(awk '/MemTotal/{print int($2/1024)-512}' /proc/meminfo)
  cat > $SLURM_CONF <<EOF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SlurmdParameters=config_overrides
EnforcePartLimits=ALL
MailProg=/bin/true
ReturnToService=2
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.txt
NodeName=localhost CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  slurmctld && slurmd -N localhost
  for i in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.5; done
  sinfo; echo "up in $(echo "$(date +%s.%N) - $t0" | bc)s; export SLURM_CONF=$SLURM_CONF" ;;
test)
  cd $D && printf '%s\n' '#include <mpi.h>' '#include <stdio.h>' 'int main(int c,char**v){int r,n;MPI_Init(&c,&v);' \
    'MPI_Comm_rank(MPI_COMM_WORLD,&r);MPI_Comm_size(MPI_COMM_WORLD,&n);printf("rank %d of %d\n",r,n);MPI_Finalize();}' > hello.c
  mpicc -o hello hello.c
  sbatch --wait -n 2 -o out/t-%j.out --wrap 'mpirun --allow-run-as-root ./hello; srun --mpi=pmix ./hello'
  sbatch --wait -a 0-2 -o out/a-%A_%a.out --wrap 'echo task $SLURM_ARRAY_TASK_ID'
  cat out/t-*.out out/a-*.out ;;
down)
  for f in $D/slurmd.pid $D/slurmctld.pid /run/munge/munged.pid; do
    [ -s $f ] && kill "$(cat $f)" 2>/dev/null; rm -f $f; done; true ;;
esac
