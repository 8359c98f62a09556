"""Pruning masks over the flattened weight W2 = weight.reshape(out, in * kh * kw).

Patterns (the words used in manifests):
  unstructured  global magnitude: the `sparsity` fraction of smallest |w| over all prunable weights.
                Every layer keeps at least 2% of its weights (blocks for block4x1): a fully zero
                layer would be deduplicated by the exporter and change the graph.
  block4x1      global block magnitude: blocks of 4 consecutive rows (output channels) x 1 column
                (input position) of W2, ranked by L2 norm over all prunable weights.
  nm            N:M semi-structured: in every group of M consecutive columns of each W2 row, the N
                largest |w| are kept (2:4 -> exactly 50%).
"""
import torch


def _flat(w):
    return w.reshape(w.shape[0], -1)


MIN_KEEP = 0.02  # every layer keeps at least 2% of its weights (blocks), so no layer vanishes


def _protect(scores, min_keep=MIN_KEEP):
    """Scores with each layer's top `min_keep` fraction set to +inf (never pruned)."""
    out = []
    for s in scores:
        s = s.clone()
        m = max(1, int(round(min_keep * s.numel())))
        s[torch.topk(s, m).indices] = float("inf")
        out.append(s)
    return out


def unstructured_masks(weights, sparsity):
    scores = torch.cat(_protect([w.detach().abs().flatten() for w in weights]))
    k = int(round(sparsity * scores.numel()))
    keep = torch.ones_like(scores, dtype=torch.bool)
    if k > 0:
        keep[torch.argsort(scores, stable=True)[:k]] = False
    masks, off = [], 0
    for w in weights:
        masks.append(keep[off: off + w.numel()].reshape(w.shape))
        off += w.numel()
    return masks


def block_masks(weights, sparsity, rows=4, cols=1):
    scores = []
    for w in weights:
        w2 = _flat(w.detach())
        o, c = w2.shape
        assert o % rows == 0 and c % cols == 0, f"weight {tuple(w.shape)} not divisible in {rows}x{cols} blocks"
        scores.append(w2.reshape(o // rows, rows, c // cols, cols).pow(2).sum(dim=(1, 3)).flatten())
    allscores = torch.cat(_protect(scores))
    k = int(round(sparsity * allscores.numel()))
    keep = torch.ones_like(allscores, dtype=torch.bool)
    if k > 0:
        keep[torch.argsort(allscores, stable=True)[:k]] = False
    masks, off = [], 0
    for w, s in zip(weights, scores):
        o, c = _flat(w).shape
        b = keep[off: off + s.numel()].reshape(o // rows, 1, c // cols, 1)
        off += s.numel()
        masks.append(b.expand(o // rows, rows, c // cols, cols).reshape(w.shape))
    return masks


def nm_masks(weights, n=2, m=4):
    masks = []
    for w in weights:
        w2 = _flat(w.detach())
        o, c = w2.shape
        assert c % m == 0, f"weight {tuple(w.shape)}: {c} columns not divisible by {m}"
        g = w2.abs().reshape(o, c // m, m)
        idx = torch.argsort(g, dim=-1, descending=True, stable=True)[..., :n]
        keep = torch.zeros_like(g, dtype=torch.bool).scatter_(-1, idx, True)
        masks.append(keep.reshape(w.shape))
    return masks


def make_masks(weights, pattern, sparsity):
    if pattern == "unstructured":
        return unstructured_masks(weights, sparsity)
    if pattern == "block4x1":
        return block_masks(weights, sparsity, 4, 1)
    if pattern == "nm2:4":
        return nm_masks(weights, 2, 4)
    raise ValueError(f"unknown pruning pattern {pattern!r}")


def gradual_schedule(weights, pattern, start, target, ramp_steps, every=20):
    """remask(step, steps) for train.fit: the sparsity grows from `start` to `target` along a cubic
    curve (fast at first, slow near the target) over the first `ramp_steps` steps, with masks
    recomputed every `every` steps; from `ramp_steps` on the mask is the target's and stays fixed.
    Pruned weights are zero when masks are recomputed, so they rank lowest and stay pruned."""
    def remask(step, steps):
        if step > ramp_steps or (step % every and step != ramp_steps):
            return None
        t = step / ramp_steps if ramp_steps else 1.0
        return make_masks(weights, pattern, target + (start - target) * (1.0 - t) ** 3)
    return remask


def apply_masks(weights, masks):
    with torch.no_grad():
        for w, m in zip(weights, masks):
            w.mul_(m.to(w.dtype))
