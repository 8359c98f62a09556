"""The cached zoo profile (zoo-work/) is used only on the machine that measured it.

`sparseloom run` without --profile reads zoo-work/profile-<processors>.json when it is fresh. A
profile measured on another CPU must not be reused: the run says so and measures a new one (the
test stops it once it has started measuring; the measurement itself takes a minute or more).
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


def first_lines_until(args, cwd, marker, limit=40):
    """Stdout lines of `args` up to the first containing `marker` (then the process is killed)."""
    p = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    lines = []
    try:
        for line in p.stdout:
            lines.append(line.rstrip("\n"))
            if marker in line or len(lines) >= limit:
                break
    finally:
        p.kill()
        p.wait(timeout=30)
    return lines


def test_profile_of_another_cpu_is_measured_again(tmp_path):
    profile = json.load(open(PROFILE))
    profile["machine"]["cpu"] = "Some Other CPU (test)"
    (tmp_path / "zoo-work").mkdir()
    with open(tmp_path / "zoo-work" / "profile-cpu0_cpu1.json", "w") as f:
        json.dump(profile, f)
    lines = first_lines_until([BIN, "run", "--workload", WORKLOAD, "--policy", "sparseloom",
                               "--duration", "1"], tmp_path, "measuring it now")
    text = "\n".join(lines)
    assert "was measured on Some Other CPU (test)" in text, text
    assert "measuring it now" in text, text
    assert "(cached;" not in text, text
