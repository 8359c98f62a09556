"""Lists ops outside the SparseLoom op list: python3 -m sparseloom_zoo.check_ops FILE.onnx ...

Exit status 1 if any file uses an op outside onnx_tools.ALLOWED_OPS (or fails to load)."""
import sys
from collections import Counter

import onnx

from .onnx_tools import ALLOWED_OPS


def main(paths):
    bad = 0
    for p in paths:
        m = onnx.load(p)
        ops = Counter(n.op_type for n in m.graph.node)
        extra = sorted(set(ops) - ALLOWED_OPS)
        opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
        status = "ok" if not extra else f"DISALLOWED {extra}"
        print(f"{p}: opset {opset}, {sum(ops.values())} nodes, {len(ops)} op types: {status}")
        bad += bool(extra)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
