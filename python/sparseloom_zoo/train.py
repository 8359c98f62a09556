"""Training, mask-preserving fine-tuning and evaluation loops (CPU, seeded)."""
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import prune


def augment_images(x, gen, shift=2, flip=True):
    """Per-sample random translation by up to `shift` pixels (zero padded) and horizontal flip."""
    if shift:
        b, c, h, w = x.shape
        pad = F.pad(x, (shift, shift, shift, shift), value=float(x.min()))
        dy = torch.randint(0, 2 * shift + 1, (b,), generator=gen)
        dx = torch.randint(0, 2 * shift + 1, (b,), generator=gen)
        rows = (dy[:, None] + torch.arange(h)[None]).view(b, 1, h, 1).expand(b, c, h, w + 2 * shift)
        x = torch.gather(pad, 2, rows)
        cols = (dx[:, None] + torch.arange(w)[None]).view(b, 1, 1, w).expand(b, c, h, w)
        x = torch.gather(x, 3, cols)
    if flip:
        f = torch.rand(x.shape[0], generator=gen) < 0.5
        x = torch.where(f[:, None, None, None], x.flip(3), x)
    return x


def augment_time_shift(x, gen, max_shift=3):
    """Roll spectrogram frames by up to `max_shift` frames (small extra shift for audio)."""
    s = int(torch.randint(-max_shift, max_shift + 1, (1,), generator=gen))
    return torch.roll(x, s, dims=-1) if s else x


AUGMENTERS = {"image": augment_images, "spectrogram": augment_time_shift, None: None}


def fit(model, x, y, *, epochs, lr, batch_size=128, weight_decay=0.0, optimizer="adamw",
        warmup_frac=0.0, label_smoothing=0.0, augment=None, seed=0, masks=None,
        masked_weights=None, remask=None, log=print, tag=""):
    """Train with a one-cycle-like schedule (linear warmup, cosine decay) over `epochs` (may be
    fractional). With `masks`, masked weights are re-zeroed after every step (exact zeros).
    `remask(step, steps)`, if given, is called before every step; when it returns masks they
    replace `masks` and are applied at once (gradual pruning)."""
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = len(xt)
    steps = max(1, int(math.ceil(epochs * n / batch_size)))
    warm = int(warmup_frac * steps)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    else:
        decay = [p for p in params if p.dim() > 1]
        no_decay = [p for p in params if p.dim() <= 1]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    aug = AUGMENTERS[augment] if not callable(augment) else augment
    model.train()
    step, t0, perm, pos = 0, time.time(), torch.randperm(n, generator=gen), 0
    loss_avg = None
    while step < steps:
        if pos + batch_size > n:
            perm, pos = torch.randperm(n, generator=gen), 0
        idx = perm[pos: pos + batch_size]
        pos += batch_size
        xb, yb = xt[idx], yt[idx]
        if remask is not None:
            new_masks = remask(step, steps)
            if new_masks is not None:
                masks = new_masks
                prune.apply_masks(masked_weights, masks)
        if aug is not None:
            xb = aug(xb, gen)
        f = (step + 1) / warm if step < warm else 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))
        for g in opt.param_groups:
            g["lr"] = lr * f
        loss = F.cross_entropy(model(xb), yb, label_smoothing=label_smoothing)
        if not math.isfinite(float(loss)):
            raise RuntimeError(f"{tag or 'training'}: loss is {float(loss)} at step {step} of "
                               f"{steps}; lower the learning rate ({lr})")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if masks is not None:
            prune.apply_masks(masked_weights, masks)
        loss_avg = float(loss) if loss_avg is None else 0.98 * loss_avg + 0.02 * float(loss)
        step += 1
        if step % max(1, steps // 10) == 0 or step == steps:
            el = time.time() - t0
            log(f"    {tag} step {step}/{steps} (epoch {step * batch_size / n:.2f}) loss {loss_avg:.4f} "
                f"({el:.0f}s, ~{el * (steps - step) / step:.0f}s left)")
    model.eval()
    return model


@torch.no_grad()
def predict(model, x, batch_size=500):
    model.eval()
    out = [model(torch.from_numpy(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy()


def accuracy(logits, y):
    return float(np.mean(np.argmax(logits, axis=1) == y))
