"""`run --rounds N`: every policy in turn N times, then the rounds pooled.

A real run of the bundled zoo, two policies, two rounds of one second: the JSON keeps the four
runs in turn, and the pooled table sums each policy's requests and takes its violation rate from
the summed counts. Options that take one run per policy are refused with --rounds.
"""
import json
import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("SPARSELOOM_BIN", os.path.join(ROOT, "build", "bin", "sparseloom"))
WORKLOAD = os.path.join(ROOT, "configs", "workloads", "default.json")
PROFILE = os.path.join(ROOT, "configs", "profiles", "zoo-cpu0_cpu1.json")

pytestmark = pytest.mark.skipif(not os.path.exists(BIN), reason=f"{BIN} not built")


def run(*extra):
    return subprocess.run([BIN, "run", "--workload", WORKLOAD, "--profile", PROFILE,
                           "--policy", "sparseloom,sv-lo-np", "--duration", "1", *extra],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_rounds_take_turns_and_pool(tmp_path):
    out = tmp_path / "runs.json"
    p = run("--rounds", "2", "--json", str(out))
    assert p.returncode == 0, p.stderr
    runs = json.load(open(out))["runs"]
    assert [r["policy"] for r in runs] == ["sparseloom", "sv-lo-np"] * 2
    assert "== round 2 of 2" in p.stdout
    pooled = p.stdout.split("pooled over the 2 rounds:")[1]
    for policy in ("sparseloom", "sv-lo-np"):
        mine = [r["overall"] for r in runs if r["policy"] == policy]
        row = re.search(rf"^{policy}\s+(\d+)\s+([\d.]+)%", pooled, re.M)
        assert row, pooled
        requests = sum(m["requests"] for m in mine)
        assert int(row.group(1)) == requests
        rate = 100 * sum(m["violations"] for m in mine) / requests
        assert abs(float(row.group(2)) - rate) < 0.006, (row.group(2), rate)


@pytest.mark.parametrize("extra", [["--records", "x.csv"], ["--trace", "x.json"],
                                   ["--load-sweep"], ["--rounds", "0"]])
def test_one_run_options_are_refused(extra):
    p = run(*extra) if extra[0] == "--rounds" else run("--rounds", "2", *extra)
    assert p.returncode != 0
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "--" in lines[0], p.stderr
