"""Unit checks of the builder pieces: pruning masks, log-mel front end, npy round trip via ORT."""
import numpy as np
import torch

from sparseloom_zoo import Dataset, audio, pool, prune, train


def test_unstructured_global_count():
    torch.manual_seed(0)
    ws = [torch.randn(8, 4, 3, 3), torch.randn(16, 32)]
    masks = prune.make_masks(ws, "unstructured", 0.7)
    total = sum(m.numel() for m in masks)
    assert sum(int((~m).sum()) for m in masks) == round(0.7 * total)
    assert all(m.float().mean() >= prune.MIN_KEEP for m in masks)


def test_block4x1_whole_blocks():
    torch.manual_seed(1)
    ws = [torch.randn(8, 4, 3, 3), torch.randn(16, 32)]
    for w, m in zip(ws, prune.make_masks(ws, "block4x1", 0.75)):
        z = (~m).reshape(w.shape[0] // 4, 4, -1).sum(dim=1)
        assert bool(((z == 0) | (z == 4)).all())


def test_nm_two_of_four():
    torch.manual_seed(2)
    w = torch.randn(6, 8, 1, 1)
    (m,) = prune.make_masks([w], "nm2:4", 0.5)
    assert bool((m.reshape(6, 2, 4).sum(-1) == 2).all())


def test_gradual_pruning_reaches_target_and_keeps_fit_masks():
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    weights = [model[0].weight, model[2].weight]
    total = sum(w.numel() for w in weights)
    seen = []
    remask = prune.gradual_schedule(weights, "unstructured", 0.0, 0.9, ramp_steps=30, every=10)

    def tracking(step, steps):
        masks = remask(step, steps)
        if masks is not None:
            seen.append((step, sum(int((~m).sum()) for m in masks) / total))
        return masks

    x = np.random.default_rng(0).standard_normal((256, 12)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0).astype(np.int64)
    train.fit(model, x, y, epochs=10, lr=1e-2, batch_size=64, masked_weights=weights,
              remask=tracking, log=lambda *_: None)
    steps = [s for s, _ in seen]
    fractions = [f for _, f in seen]
    assert steps == [0, 10, 20, 30]
    assert fractions[0] == 0.0 and fractions == sorted(fractions)
    assert abs(fractions[-1] - 0.9) < 1.0 / total
    # After the ramp the target mask stays: the model ends with exactly that many zeros.
    zeros = sum(int((w == 0).sum()) for w in weights)
    assert zeros == round(0.9 * total)


def test_gradual_pruning_reaches_target_in_a_one_step_fine_tune():
    # Tiny builds fine-tune for a single step: the schedule must still end at the target.
    torch.manual_seed(4)
    model = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    weights = [model[0].weight, model[2].weight]
    total = sum(w.numel() for w in weights)
    spec = pool.VariantSpec("u90", "unstructured", 0.9)
    x = np.random.default_rng(1).standard_normal((64, 12)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    data = Dataset(x, y, x, y, x, y, labels=["a", "b"], description={})
    config = pool.TrainConfig(batch_size=64, finetune_lr=1e-2)
    pool._prune_and_finetune(model, weights, spec, 1.0, config, data, 1, lambda *_: None, "t",
                             dict(batch_size=64, log=lambda *_: None))
    assert sum(int((w == 0).sum()) for w in weights) == round(0.9 * total)


def test_log_mel_shape_and_tone():
    t = np.arange(audio.NUM_SAMPLES) / audio.SAMPLE_RATE
    x = 0.5 * np.sin(2 * np.pi * 1000.0 * t)
    f = audio.log_mel(x)
    assert f.shape == (1, audio.NUM_MELS, audio.NUM_FRAMES) and f.dtype == np.float32
    centers = audio.mel_to_hz(np.linspace(audio.hz_to_mel(audio.F_MIN), audio.hz_to_mel(audio.F_MAX),
                                          audio.NUM_MELS + 2))[1:-1]
    assert abs(int(f[0, :, 10].argmax()) - int(np.abs(centers - 1000.0).argmin())) <= 1
    assert audio.log_mel(np.zeros((3, 100))).shape == (3, 1, audio.NUM_MELS, audio.NUM_FRAMES)
