"""Shared fixtures for the zoo checks.

By default the committed pools under zoo/ are checked, accuracy floors included. Point
SPARSELOOM_ZOO_DIR at another build (e.g. zoo-work/tiny from `scripts/build-zoo.sh --tiny`) to check
that build's structure; floors are then skipped for manifests marked tiny.
"""
import json
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
ZOO_DIR = os.environ.get("SPARSELOOM_ZOO_DIR", os.path.join(ROOT, "zoo"))
TASKS = ["fmnist-resnet", "fmnist-vit", "kws"]


def load_manifest(task):
    path = os.path.join(ZOO_DIR, task, "manifest.json")
    if not os.path.exists(path):
        pytest.skip(f"no pool at {path}")
    with open(path) as f:
        return json.load(f)


@pytest.fixture(params=TASKS)
def pool(request):
    task = request.param
    return task, os.path.join(ZOO_DIR, task), load_manifest(task)
