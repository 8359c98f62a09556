"""`sparseloom simulate --job-samples`: measured jobs with start delays replayed per start kind.

Runs the simulator on the default workload, at a quarter of its load so that most requests find
an idle processor, with the committed profile (no real run needed): a runs JSON whose jobs all
start 200 us late on an idle processor must raise the simulated median latency by about that much;
a run's pauses and stalls are replayed by time (not at random); and malformed samples, pauses and
stalls must fail with one line naming the file.
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("SPARSELOOM_BIN", os.path.join(ROOT, "build", "bin", "sparseloom"))
WORKLOAD = os.path.join(ROOT, "configs", "workloads", "default.json")
PROFILE = os.path.join(ROOT, "configs", "profiles", "zoo-cpu0_cpu1.json")

pytestmark = pytest.mark.skipif(not os.path.exists(BIN), reason=f"{BIN} not built")


def runs_json(path, samples, **execution):
    with open(path, "w") as f:
        json.dump({"runs": [{"policy": "sv-ao-np",
                             "execution": {"job_samples": samples, **execution}}]}, f)


def simulate(tmp_path, samples, extra=(), quantile="p50", **execution):
    src, out = tmp_path / "real.json", tmp_path / "sim.json"
    runs_json(src, samples, **execution)
    p = subprocess.run([BIN, "simulate", "--workload", WORKLOAD, "--profile", PROFILE,
                        "--policy", "sv-ao-np", "--duration", "3", "--load-scale", "0.25",
                        "--job-samples", str(src), *extra,
                        "--json", str(out)], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        return p, None
    return p, json.load(open(out))["runs"][0]["overall"]["latency_ms"][quantile]


def test_idle_start_delay_shifts_the_median(tmp_path):
    plain = [[1.0, 1.0, 0.0, 0.0, k] for k in range(3)]
    late = [[1.0, 1.0, 0.0, 200.0 if k == 1 else 0.0, k] for k in range(3)]
    p, base = simulate(tmp_path, plain)
    assert p.returncode == 0, p.stderr
    p, delayed = simulate(tmp_path, late)
    assert p.returncode == 0, p.stderr
    assert 0.15 < delayed - base < 0.4, (base, delayed)


def test_timed_replay_follows_the_run(tmp_path):
    # Jobs measured slow (3x) in the first second on both processors, at the profile after it.
    # Replayed by time, the slow second holds a third of the requests: the median stays as fast
    # as without slow jobs and the tail is slow. Drawn at random, a third of every request's jobs
    # are slow: the median rises.
    samples = [[3.0 if ms < 1000 else 1.0, 1.0, 0.0, 0.0, 0, float(ms), p]
               for ms in range(0, 3000, 5) for p in range(2)]
    fast_samples = [[1.0, 1.0, 0.0, 0.0, 0, 0.0, 0]]
    got = {}
    for name, s, extra in [("timed", samples, ["--by-time"]), ("random", samples, []),
                           ("fast", fast_samples, ["--by-time"])]:
        for q in ("p50", "p99"):
            p, got[name, q] = simulate(tmp_path, s, extra, q)
            assert p.returncode == 0, p.stderr
            if name == "timed":
                assert "replayed by processor and time" in p.stdout
    assert got["timed", "p50"] < 1.1 * got["fast", "p50"], got
    assert got["random", "p50"] > 1.2 * got["fast", "p50"], got
    assert got["timed", "p99"] > 2 * got["fast", "p99"], got


def test_by_time_needs_samples(tmp_path):
    p = subprocess.run([BIN, "simulate", "--workload", WORKLOAD, "--profile", PROFILE,
                        "--duration", "1", "--by-time"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode != 0
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "--by-time" in lines[0], p.stderr


@pytest.mark.parametrize("bad", [[[1.0, 1.0, 0.0, 5.0]],        # four fields
                                 [[1.0, 1.0, 0.0, 5.0, 0, 1.0]],      # six fields
                                 [[1.0, 1.0, 0.0, 5.0, 0, 1.0, 0.5]],  # processor not an integer
                                 [[1.0, 1.0, 0.0, 5.0, 0, -1.0, 0]],   # negative start time
                                 [[1.0, 1.0, 0.0, 5.0, 3]],     # no such start kind
                                 [[1.0, 1.0, 0.0, 5.0, 1.5]],   # kind not an integer
                                 [[1.0, 1.0, 0.0, -1.0, 0]],    # negative delay
                                 [[1.0, 1.0, 0.0, 5.0, 0, 1.0, 0, 0.5]]])  # task not an integer
def test_malformed_samples_are_one_line_errors(tmp_path, bad):
    p, _ = simulate(tmp_path, bad)
    assert p.returncode != 0
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "real.json" in lines[0] and "job_samples" in lines[0], p.stderr


def test_pauses_and_stalls_are_replayed_by_time(tmp_path):
    # The run stood still for 50 ms at 1 s (a pause), and cpu0 for 50 ms at 2 s (a stall): replayed
    # by time, requests that arrived then wait, and the tail grows; at random they are ignored.
    samples = [[1.0, 1.0, 0.0, 0.0, 0, float(ms), p, t]
               for ms in range(0, 3000, 5) for p in range(2) for t in range(3)]
    got = {}
    for name, extra, execution in [
            ("plain", ["--by-time"], {}),
            ("replayed", ["--by-time"], {"pauses": [[1000.0, 1050.0]], "stalls": [[0, 2000.0, 2050.0]]}),
            ("random", [], {"pauses": [[1000.0, 1050.0]], "stalls": [[0, 2000.0, 2050.0]]})]:
        p, got[name] = simulate(tmp_path, samples, extra, "max", **execution)
        assert p.returncode == 0, p.stderr
    assert got["replayed"] > got["plain"] + 40, got
    assert got["random"] < got["plain"] + 10, got


@pytest.mark.parametrize("field,bad", [("pauses", [[5.0]]),                # one number
                                       ("pauses", [[5.0, 4.0]]),           # ends before it starts
                                       ("pauses", [[5.0, 9.0], [8.0, 10.0]]),  # overlap
                                       ("pauses", {"a": 1}),               # not a list
                                       ("stalls", [[0.5, 1.0, 2.0]]),      # processor not an integer
                                       ("stalls", [[0, 3.0, 2.0]]),        # ends before it starts
                                       ("stalls", [[0, 1.0]]),             # two numbers
                                       ("late_admissions", [[2.0, 1.0]])])  # ends before it starts
def test_malformed_pauses_and_stalls_are_one_line_errors(tmp_path, field, bad):
    p, _ = simulate(tmp_path, [[1.0, 1.0, 0.0, 0.0, 0]], ["--by-time"], **{field: bad})
    assert p.returncode != 0
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "real.json" in lines[0] and field in lines[0], p.stderr
