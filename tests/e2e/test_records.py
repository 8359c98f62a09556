"""`--records`: one CSV line per request of every run, agreeing with the run's metrics.

The simulator (committed profile, no real run needed) and a one-second real run of the bundled zoo
each write their records; every request must appear exactly once, and the served, rejected, late
and violation counts per task must equal the metrics JSON of the same run.
"""
import csv
import json
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("SPARSELOOM_BIN", os.path.join(ROOT, "build", "bin", "sparseloom"))
WORKLOAD = os.path.join(ROOT, "configs", "workloads", "default.json")
PROFILE = os.path.join(ROOT, "configs", "profiles", "zoo-cpu0_cpu1.json")

pytestmark = pytest.mark.skipif(not os.path.exists(BIN), reason=f"{BIN} not built")


def check(records_path, json_path, policies):
    rows = list(csv.DictReader(open(records_path)))
    runs = {r["policy"]: r for r in json.load(open(json_path))["runs"]}
    assert sorted(runs) == sorted(policies)
    for policy, run in runs.items():
        mine = [r for r in rows if r["policy"] == policy]
        assert len(mine) == run["overall"]["requests"] > 0
        assert len({r["id"] for r in mine}) == len(mine)
        for task in run["tasks"]:
            t = [r for r in mine if r["task"] == task["name"]]
            assert len(t) == task["requests"]
            assert sum(r["served"] == "1" for r in t) == task["served"]
            assert sum(r["served"] == "0" for r in t) == task["rejected"]
            assert sum(r["late"] == "1" for r in t) == task["late"]
            assert sum(r["violation"] == "1" for r in t) == task["violations"]
        for r in mine:
            if r["served"] == "1":
                assert float(r["arrival_us"]) <= float(r["start_us"]) <= float(r["finish_us"])
                assert r["stitch"] and r["placement"] and r["reason"] == ""
            else:
                assert r["reason"] and float(r["finish_us"]) >= float(r["arrival_us"])


def test_simulated_records_match_the_metrics(tmp_path):
    rec, out = tmp_path / "rec.csv", tmp_path / "sim.json"
    p = subprocess.run([BIN, "simulate", "--workload", WORKLOAD, "--profile", PROFILE,
                        "--policy", "sparseloom,sv-lo-np", "--duration", "3",
                        "--records", str(rec), "--json", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    check(rec, out, ["sparseloom", "sv-lo-np"])


def test_real_records_match_the_metrics(tmp_path):
    rec, out = tmp_path / "rec.csv", tmp_path / "run.json"
    p = subprocess.run([BIN, "run", "--workload", WORKLOAD, "--profile", PROFILE,
                        "--policy", "sparseloom", "--duration", "1",
                        "--records", str(rec), "--json", str(out)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    check(rec, out, ["sparseloom"])


def test_unwritable_records_path_is_a_one_line_error_before_any_run(tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x")
    p = subprocess.run([BIN, "simulate", "--workload", WORKLOAD, "--profile", PROFILE,
                        "--policy", "sv-lo-np", "--duration", "1",
                        "--records", str(plain / "dir.csv")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode != 0
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "dir.csv" in lines[0], p.stderr
    assert "sv-lo-np" not in p.stdout, p.stdout  # checked before simulating


def test_missing_output_directories_are_created(tmp_path):
    rec = tmp_path / "new" / "dir" / "rec.csv"
    p = subprocess.run([BIN, "simulate", "--workload", WORKLOAD, "--profile", PROFILE,
                        "--policy", "sv-lo-np", "--duration", "1", "--records", str(rec)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert rec.read_text().startswith("policy,")
