#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, entirely inside one directory (munged with its own key and socket,
# slurmctld, slurmd), for tests and for trying `vp_sweep --backend slurm` on a machine without a cluster.
#
#   one_node_slurm.sh run CMD [ARGS...]   start in a temporary directory, run CMD with SLURM_CONF exported,
#                                         stop and remove the directory; exits with CMD's status
#   one_node_slurm.sh start DIR           start in DIR (created) and print the `export SLURM_CONF=...` line
#   one_node_slurm.sh stop DIR            stop the daemons started in DIR
#
# Exits 77 (ctest's SKIP_RETURN_CODE) with the reason on stderr when the cluster cannot start here: not root,
# the Debian packages slurm-wlm and munge missing, or a daemon that does not come up (its log's tail is shown).
set -euo pipefail

readonly SKIP=77
readonly START_TIMEOUT_S=30

skip() {
  echo "one_node_slurm: SKIPPED: $*" >&2
  exit "$SKIP"
}

usage() {
  echo "usage: $0 run CMD [ARGS...] | start DIR | stop DIR" >&2
  exit 2
}

# Two TCP ports nobody listens on, so a real Slurm on the machine (6817/6818) is left alone.
free_ports() {
  /usr/bin/python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# The daemons run as root (SlurmUser=root) so slurmd can start jobs; check before writing anything.
preflight() {
  [ "$(id -u)" -eq 0 ] || skip "needs root (slurmd starts the jobs as their user); run as root"
  local missing=()
  for exe in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v "$exe" >/dev/null 2>&1 || [ -x "/usr/sbin/$exe" ] || missing+=("$exe")
  done
  [ ${#missing[@]} -eq 0 ] ||
    skip "missing ${missing[*]}: install the Debian packages slurm-wlm and munge (tools/install-deps.sh)"
}

sbin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

write_config() {
  local dir=$1
  mkdir -p "$dir"/{munge,munge-key,state,spool,log}
  # munged wants its socket's directories searchable by everyone, its key readable by root only.
  chmod 755 "$dir" "$dir/munge"
  chmod 700 "$dir/munge-key"
  # A fresh random key: this cluster trusts nothing outside the directory.
  head -c 1024 /dev/urandom >"$dir/munge-key/munge.key"
  chmod 400 "$dir/munge-key/munge.key"

  local hw cpus mem ports
  hw=$("$(sbin slurmd)" -C | head -n 1)
  cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  [ -n "$cpus" ] && [ -n "$mem" ] || skip "slurmd -C printed no CPUs/RealMemory: $hw"
  read -r -a ports <<<"$(free_ports)"

  cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm/one_node_slurm.sh: one node, localhost, everything under $dir.
ClusterName=dnnvp-test
SlurmctldHost=localhost
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
# Jobs share the node CPU by CPU (the default select/linear would run one job at a time).
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# No accounting database: the job-completion file and scontrol (MinJobAge) tell how a job ended.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
MinJobAge=600
# Schedule at every job event, without slurmctld's default 3 s batching (tests wait on whole sweeps).
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

log_tail() {
  local dir=$1
  for f in "$dir"/log/*.log; do
    [ -f "$f" ] && {
      echo "--- $f (last lines)"
      tail -n 15 "$f"
    }
  done >&2
}

# Stops what start_daemons started in DIR, by the pids the daemons wrote there; waits until they are gone.
stop_daemons() {
  local dir=$1 pids=()
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    [ -s "$dir/$f" ] || continue
    local pid
    pid=$(cat "$dir/$f")
    kill "$pid" 2>/dev/null && pids+=("$pid")
  done
  local i
  for ((i = 0; i < 100; i++)); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}

# `run` keeps the daemons in the foreground as children of this script, so whatever kills the script's
# process tree (ctest's timeout) ends them too; `start` lets them detach and outlive it.
FOREGROUND=0

# launch DIR NAME PIDFILE FOREGROUND_FLAG CMD...: starts one daemon, its console in DIR/log/NAME.out.
launch() {
  local dir=$1 name=$2 pidfile=$3 flag=$4
  shift 4
  if [ "$FOREGROUND" -eq 1 ]; then
    "$@" "$flag" >>"$dir/log/$name.out" 2>&1 &
    echo $! >"$pidfile"
  else
    "$@" >>"$dir/log/$name.out" 2>&1 || { log_tail "$dir"; stop_daemons "$dir"; skip "$name did not start"; }
  fi
}

# Skips (after stopping the rest) when a daemon started in the foreground has already exited.
check_alive() {
  local dir=$1 name
  for name in munge/munged slurmctld slurmd; do
    [ -s "$dir/$name.pid" ] && ! kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null &&
      { log_tail "$dir"; stop_daemons "$dir"; skip "${name#munge/} exited at start"; }
  done
  return 0
}

start_daemons() {
  local dir=$1
  export SLURM_CONF="$dir/slurm.conf"
  launch "$dir" munged "$dir/munge/munged.pid" -F "$(sbin munged)" --socket="$dir/munge/munge.socket" \
    --key-file="$dir/munge-key/munge.key" --pid-file="$dir/munge/munged.pid" \
    --seed-file="$dir/munge-key/munged.seed" --log-file="$dir/log/munged.log"
  local deadline=$((SECONDS + START_TIMEOUT_S)) state=""
  # slurmctld and slurmd authenticate through munged from their first message on.
  while [ ! -S "$dir/munge/munge.socket" ] && [ $SECONDS -lt $deadline ]; do
    check_alive "$dir"
    sleep 0.05
  done
  launch "$dir" slurmctld "$dir/slurmctld.pid" -D "$(sbin slurmctld)" -f "$SLURM_CONF" -c
  launch "$dir" slurmd "$dir/slurmd.pid" -D "$(sbin slurmd)" -f "$SLURM_CONF" -N localhost

  while [ $SECONDS -lt $deadline ]; do
    check_alive "$dir"
    state=$(sinfo -h -N -n localhost -o %T 2>/dev/null || true)
    [ "$state" = idle ] && return 0
    sleep 0.2
  done
  log_tail "$dir"
  stop_daemons "$dir"
  skip "the node did not become idle within ${START_TIMEOUT_S} s (sinfo says '${state}')"
}

[ $# -ge 1 ] || usage
case $1 in
  start)
    [ $# -eq 2 ] || usage
    preflight
    dir=$(realpath -m "$2")
    write_config "$dir"
    start_daemons "$dir"
    echo "export SLURM_CONF=$dir/slurm.conf"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    stop_daemons "$(realpath -m "$2")"
    ;;
  run)
    [ $# -ge 2 ] || usage
    shift
    preflight
    dir=$(mktemp -d /tmp/one_node_slurm.XXXXXX)
    FOREGROUND=1
    trap 'stop_daemons "$dir"; rm -rf "$dir"' EXIT
    trap 'exit 130' INT TERM
    write_config "$dir"
    start_daemons "$dir"
    set +e
    "$@"
    status=$?
    set -e
    [ "$status" -eq 0 ] || log_tail "$dir"
    exit "$status"
    ;;
  *) usage ;;
esac
