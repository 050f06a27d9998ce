"""vp_sweep --backend slurm (docs/sweeps.md, "Slurm").

ClusterSweep needs a running cluster: ctest starts it with one_node_slurm.sh (SLURM_CONF set). CommandLine
runs vp_sweep against stand-in sbatch/squeue scripts on PATH. Environment: DNNVP_VP_SWEEP (the binary),
DNNVP_TEST_TMP (a scratch directory). Run with Debian's Python.
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TINY_CNN = os.path.normpath(os.path.join(HERE, "..", "..", "scenarios", "tiny_cnn.yaml"))
VP_SWEEP = os.environ.get("DNNVP_VP_SWEEP", "")
TMP = os.environ.get("DNNVP_TEST_TMP", "")

# Four points on the fast engine: no simulator to build, a few seconds each.
SWEEP = f"""base: {TINY_CNN}
engine: fast
axes:
  hardware.rows: [4, 8]
  hardware.cols: [8, 16]
"""
# Host wall-clock columns differ between any two runs; everything else must be identical.
WALL_CLOCK = {"wall_s"}


def scratch(name):
    d = os.path.join(TMP, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def table(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: v for k, v in r.items() if k not in WALL_CLOCK} for r in rows]


def vp_sweep(*args, env=None):
    return subprocess.run([VP_SWEEP, *args], capture_output=True, text=True, env=env, timeout=300)


class ClusterSweep(unittest.TestCase):
    def test_slurm_backend_merges_the_same_tables_as_the_local_backend(self):
        self.assertIn("SLURM_CONF", os.environ, "run under tests/slurm/one_node_slurm.sh")
        d = scratch("cluster")
        sweep = write(os.path.join(d, "tiny4.yaml"), SWEEP)
        # The local sweep runs while the Slurm jobs wait for their turn (the test's wall time is CI's).
        slurm = subprocess.Popen([VP_SWEEP, sweep, "--out", os.path.join(d, "slurm"), "--no-plots", "--backend",
                                  "slurm"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        local = vp_sweep(sweep, "--out", os.path.join(d, "local"), "--no-plots", "-q")
        slurm_out, slurm_err = slurm.communicate(timeout=300)
        self.assertEqual(local.returncode, 0, local.stderr)
        self.assertEqual(slurm.returncode, 0, slurm_out + slurm_err)

        for name in ("results.csv", "layers.csv"):
            want, got = table(os.path.join(d, "local", name)), table(os.path.join(d, "slurm", name))
            self.assertEqual(len(want), 4 if name == "results.csv" else len(got))
            self.assertEqual(got, want, name)
        self.assertEqual([r["status"] for r in table(os.path.join(d, "slurm", "results.csv"))], ["pass"] * 4)
        with open(os.path.join(d, "slurm", "results.json")) as f:
            got = json.load(f)
        with open(os.path.join(d, "local", "results.json")) as f:
            want = json.load(f)
        strip = lambda j: [{k: v for k, v in p.items() if k not in WALL_CLOCK} for p in j["points"]]
        self.assertEqual(strip(got), strip(want))

        # One build job, then one array task per point, each with its log beside the scripts.
        logs = sorted(os.listdir(os.path.join(d, "slurm", "slurm")))
        self.assertEqual([n for n in logs if n.endswith(".sh")], ["array.sh", "build.sh"])
        self.assertEqual(len([n for n in logs if n.startswith("build-")]), 1)
        self.assertEqual(len([n for n in logs if n.startswith("task-")]), 4)
        self.assertIn("4 of 4 points finished, 0 failed", slurm_out)


class CommandLine(unittest.TestCase):
    """vp_sweep's Slurm options and errors, with stand-in Slurm commands (no cluster)."""

    def setUp(self):
        self.dir = scratch("cli_" + self._testMethodName)
        self.sweep = write(os.path.join(self.dir, "tiny4.yaml"), SWEEP)
        self.bin = os.path.join(self.dir, "bin")
        os.makedirs(self.bin)
        self.calls = os.path.join(self.dir, "calls.log")
        self.env = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"])

    def fake(self, name, body):
        write(os.path.join(self.bin, name), f'#!/bin/bash\necho "{name} $*" >> {self.calls}\n{body}\n', 0o755)

    def called(self):
        with open(self.calls) as f:
            return f.read()

    def test_no_wait_prints_the_job_ids_and_how_to_merge_without_waiting(self):
        self.fake("sbatch", 'case "$*" in *array.sh) echo 8 ;; *) echo 7 ;; esac')
        self.fake("squeue", "exit 1")
        out = os.path.join(self.dir, "out")
        r = vp_sweep(self.sweep, "--out", out, "--backend", "slurm", "--no-wait", "--partition", "short",
                     "--time", "10", "--sbatch-arg=--mem=1G", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("build job 7, array job 8 (4 tasks)", r.stdout)
        self.assertIn(f"--out {out} --merge-only", r.stdout)
        self.assertNotIn("squeue", self.called())
        with open(os.path.join(out, "slurm", "array.sh")) as f:
            script = f.read()
        for line in ("#SBATCH --partition=short", "#SBATCH --time=10", "#SBATCH --mem=1G", "#SBATCH --array=1-4"):
            self.assertIn(line + "\n", script)
        self.assertIn("'--engine' 'fast'", script)

    def test_the_sweep_files_slurm_section_is_used_and_the_command_line_wins(self):
        self.fake("sbatch", "echo 7")
        write(self.sweep, SWEEP + "slurm:\n  partition: long\n  time: 1:00:00\n  tasks: 2\n")
        out = os.path.join(self.dir, "out")
        r = vp_sweep(self.sweep, "--out", out, "--backend", "slurm", "--no-wait", "--time", "5", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "slurm", "array.sh")) as f:
            script = f.read()
        for line in ("#SBATCH --partition=long", "#SBATCH --time=5", "#SBATCH --array=1-2"):
            self.assertIn(line + "\n", script)

    def test_an_sbatch_error_is_reported_with_its_command_and_stderr(self):
        self.fake("sbatch", "echo 'sbatch: error: invalid partition specified: nope' >&2; exit 1")
        out = os.path.join(self.dir, "out")
        r = vp_sweep(self.sweep, "--out", out, "--backend", "slurm", "--partition", "nope", env=self.env)
        self.assertEqual(r.returncode, 5)
        self.assertIn(f"sbatch --parsable {out}/slurm/build.sh failed (exit status 1): "
                      "sbatch: error: invalid partition specified: nope", r.stderr)

    def test_a_failed_build_job_names_its_log_and_fails_the_sweep(self):
        self.fake("sbatch", 'case "$*" in *array.sh) echo 8 ;; *) echo 7 ;; esac')
        self.fake("squeue", "echo '8_1|PENDING|DependencyNeverSatisfied'")
        self.fake("scontrol", "echo 'JobId=7 JobState=FAILED Reason=NonZeroExitCode ExitCode=5:0'")
        self.fake("scancel", "")
        out = os.path.join(self.dir, "out")
        r = vp_sweep(self.sweep, "--out", out, "--backend", "slurm", "-q", env=self.env)
        self.assertEqual(r.returncode, 5)
        self.assertIn(f"slurm job 7 ended FAILED (exit code 5:0); log: {out}/slurm/build-7.out", r.stderr)
        self.assertIn("scancel 8", self.called())

    def test_ctrl_c_while_waiting_leaves_the_jobs_and_says_how_to_cancel_or_merge_them(self):
        self.fake("sbatch", 'case "$*" in *array.sh) echo 8 ;; *) echo 7 ;; esac')
        self.fake("squeue", "echo '8_1|PENDING|Dependency'")
        self.fake("scancel", "")
        out = os.path.join(self.dir, "out")
        p = subprocess.Popen([VP_SWEEP, self.sweep, "--out", out, "--backend", "slurm"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=self.env)
        self.assertIn("build job 7, array job 8", p.stdout.readline())  # submitted, now waiting
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130)
        self.assertIn(f"the jobs go on: `scancel 7 8` cancels them, `vp_sweep {self.sweep} --out {out} "
                      "--merge-only` gathers what they have finished", err)
        self.assertNotIn("scancel", self.called())

    def test_bad_slurm_options_are_bad_input(self):
        cases = (
            (["--backend", "slurm", "--time", "2h"], "--time: must be a Slurm time limit"),
            (["--backend", "slurm", "--sbatch-arg", "mem=1G"], "--sbatch-arg: must be one sbatch option"),
            (["--partition", "short"], "--partition, --time, --sbatch-arg and --no-wait need --backend slurm"),
            (["--backend", "slurm", "--shard", "1/2"], "--backend slurm makes the shards itself"),
            (["--backend", "slurm", "--build-only"], "--build-only builds here"),
            (["--backend", "pbs"], "--backend: must be local or slurm, got 'pbs'"),
        )
        for args, message in cases:
            r = vp_sweep(self.sweep, "--out", os.path.join(self.dir, "out"), *args, env=self.env)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(message, r.stderr, args)
        write(self.sweep, SWEEP + "slurm:\n  time: soon\n")
        r = vp_sweep(self.sweep, "--backend", "slurm", env=self.env)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{self.sweep}:7: slurm.time: must be a Slurm time limit", r.stderr)
        self.assertFalse(os.path.exists(self.calls), "nothing was submitted")


if __name__ == "__main__":
    unittest.main()
