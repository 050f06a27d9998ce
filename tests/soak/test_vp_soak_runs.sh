#!/bin/bash
# Tests of how vp_soak handles its vp_run processes, with a stand-in vp_run (no simulator needed).
#   test_vp_soak_runs.sh VP_SOAK WORKDIR timeout|interrupt|simulator-build
# timeout, interrupt: the stand-in runs a "step" in its own process group, as vp_run does (vp_sim, ninja),
#   and passes SIGTERM on to it; after vp_soak's timeout or its SIGINT no step may be left running, and a
#   scenario of a shape whose first run (its build) was stopped starts only once that run has ended.
# simulator-build: the stand-in fails as vp_run does when a shipped shape's simulator does not build (a
#   message without the word "simulator", the step in report.json); later scenarios of that shape are
#   "not run".
set -u
vp_soak=$1 work=$2 mode=$3
rm -rf "$work"
mkdir -p "$work"
fake=$work/vp_run
steps=$work/steps

case $mode in
timeout | interrupt)
  cat >"$fake" <<EOF
#!/bin/bash
# Job control: the background step gets its own process group, like vp_run's setpgid.
set -m
mkdir -p "\$3"
sleep 300 &
step=\$!
echo \$step >>"$steps"
echo "start \$3" >>"$work/order"
trap 'kill -TERM -- -\$step; wait; echo "end \$3" >>"$work/order"; exit 143' TERM
wait
EOF
  ;;
simulator-build)
  cat >"$fake" <<'EOF'
#!/bin/bash
mkdir -p "$3"
echo '{"status": "error", "exit_status": 5, "step": "building the simulator"}' >"$3/report.json"
echo "vp_run: building vp_sim_4x8 failed (log: build/vp_sim_4x8.log)" >&2
exit 5
EOF
  ;;
*)
  echo "unknown mode $mode" >&2
  exit 2
  ;;
esac
chmod +x "$fake"

fail() {
  echo "FAILED: $*"
  cat "$work/soak.out"
  exit 1
}

# Every step the stand-in started must have ended with vp_soak.
check_steps() {
  [ "$(wc -l <"$steps")" -eq "$1" ] || fail "expected $1 steps started"
  while read -r pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid"
      fail "step $pid outlived vp_soak"
    fi
  done <"$steps"
}

status=0
case $mode in
timeout)
  # Seed 1 draws the 4x8 shape, seeds 2 and 3 the 8x16 one: seed 3 waits for seed 2's run to end.
  "$vp_soak" --count 3 --jobs 2 --timeout 1 --vp-run "$fake" --out "$work/out" >"$work/soak.out" 2>&1
  status=$?
  check_steps 3
  [ $status -eq 1 ] || fail "vp_soak exit status $status, expected 1"
  end2=$(grep -n "^end $work/out/2/run" "$work/order" | cut -d: -f1)
  start3=$(grep -n "^start $work/out/3/run" "$work/order" | cut -d: -f1)
  [ -n "$end2" ] && [ -n "$start3" ] && [ "$end2" -lt "$start3" ] ||
    fail "seed 3 started before seed 2's run of the same shape ended: $(cat "$work/order")"
  grep -q "timeout: 3 " "$work/soak.out" || fail "two timeouts expected"
  grep -q "stopped with SIGTERM" "$work/soak.out" || fail "the runs were not stopped with SIGTERM"
  ;;
interrupt)
  "$vp_soak" --count 2 --jobs 2 --vp-run "$fake" --out "$work/out" >"$work/soak.out" 2>&1 &
  soak=$!
  for _ in $(seq 100); do
    [ "$(wc -l 2>/dev/null <"$steps" || echo 0)" -ge 2 ] && break
    sleep 0.1
  done
  kill -INT $soak
  wait $soak
  status=$?
  check_steps 2
  [ $status -eq 130 ] || fail "vp_soak exit status $status, expected 130"
  grep -q "interrupted after 0 of 2" "$work/soak.out" || fail "no 'interrupted' line"
  ;;
simulator-build)
  "$vp_soak" --count 6 --jobs 1 --vp-run "$fake" --out "$work/out" >"$work/soak.out" 2>&1
  status=$?
  [ $status -eq 1 ] || fail "vp_soak exit status $status, expected 1"
  # 6 seeds on the 2 shipped shapes: one failed build per shape drawn, every other scenario not run.
  builds=$(grep -c "^FAIL .*: exit 5: " "$work/soak.out")
  not_run=$(grep -c "^FAIL .*: not run: the simulator for this engine shape did not build" "$work/soak.out")
  [ "$builds" -ge 1 ] && [ "$builds" -le 2 ] && [ $((builds + not_run)) -eq 6 ] ||
    fail "$builds failed builds and $not_run not run, expected 1..2 and 6 in all"
  ;;
esac

echo "ok: $mode"
