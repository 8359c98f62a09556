"""Datasets: Fashion-MNIST from the Debian package, spoken keywords synthesised with espeak-ng."""
import gzip
import hashlib
import os
import subprocess
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import audio

FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
FMNIST_LABELS = ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                 "sneaker", "bag", "ankle boot"]
FMNIST_MEAN = 0.2860
FMNIST_STD = 0.3530


@dataclass
class Dataset:
    """Model-ready arrays. x: float32 [N, ...input shape]; y: int64 [N]."""
    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    labels: list
    description: dict


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fmnist(seed=0, val_count=2000, train_limit=None, test_limit=None, data_dir=FMNIST_DIR):
    """Fashion-MNIST, normalised (pixel / 255 - 0.2860) / 0.3530, shape [N, 1, 28, 28].

    val: `val_count` training images held out (never trained on), chosen by a permutation of the
    60000 training indices with numpy.random.default_rng(seed); test: the 10000 t10k images.
    """
    tx = _read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    ty = _read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    ex = _read_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"))
    ey = _read_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"))
    perm = np.random.default_rng(seed).permutation(len(tx))
    val_idx, train_idx = np.sort(perm[:val_count]), perm[val_count:]
    if train_limit:
        train_idx = train_idx[:train_limit]

    def prep(a):
        return ((a.astype(np.float32) / 255.0 - FMNIST_MEAN) / FMNIST_STD)[:, None]

    if test_limit:
        ex, ey = ex[:test_limit], ey[:test_limit]
    return Dataset(prep(tx[train_idx]), ty[train_idx].astype(np.int64),
                   prep(tx[val_idx]), ty[val_idx].astype(np.int64),
                   prep(ex), ey.astype(np.int64), list(FMNIST_LABELS),
                   {"source": "Fashion-MNIST (Debian dataset-fashion-mnist)",
                    "preprocessing": f"x = (pixel / 255 - {FMNIST_MEAN}) / {FMNIST_STD}, "
                                     "layout [N, 1, 28, 28] float32",
                    "val": f"{val_count} training images held out from training: the first "
                           f"{val_count} of numpy.random.default_rng({seed}).permutation(60000), "
                           "sorted by index",
                    "test": f"{len(ex)} t10k images (full Fashion-MNIST test set)"})


# ---------------------------------------------------------------------------------------------
# Keyword spotting from espeak-ng

KWS_KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
KWS_UNKNOWN_WORDS = ["bed", "bird", "cat", "dog", "happy", "house", "tree", "wow", "marvin",
                     "sheila", "zero", "one", "three", "five", "follow", "forward", "learn",
                     "visual", "backward", "seven"]
KWS_LABELS = KWS_KEYWORDS + ["unknown"]
KWS_ACCENTS = ["en-gb", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
               "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
ESPEAK_RATE = 22050


def espeak_variants():
    """Voice variants (the !v folder of espeak-ng-data), sorted by name."""
    out = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True,
                         check=True).stdout.splitlines()[1:]
    names = sorted({line.split()[4].split("/")[-1] for line in out if line.strip()})
    return names


def _synth(args):
    word, voice, speed, pitch = args
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", f.name,
                        word], check=True, capture_output=True)
        with wave.open(f.name, "rb") as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    x = audio.resample(pcm.astype(np.float64) / 32768.0, ESPEAK_RATE, audio.SAMPLE_RATE)
    # Trim leading / trailing silence (frame energy below 1% of the loudest 10 ms frame).
    e = np.convolve(x ** 2, np.ones(160) / 160, mode="same")
    active = np.nonzero(e > 0.01 * e.max())[0] if e.max() > 0 else np.array([0, len(x) - 1])
    x = x[max(0, active[0] - 400): active[-1] + 400]
    return x[: audio.NUM_SAMPLES].astype(np.float32)


def _augment(clip, rng):
    """Random gain, time shift inside the 1 s window, and white / low-passed noise at 5-30 dB SNR."""
    out = np.zeros(audio.NUM_SAMPLES, dtype=np.float64)
    clip = clip * rng.uniform(0.3, 1.0) / max(1e-3, np.abs(clip).max())
    start = rng.integers(0, audio.NUM_SAMPLES - len(clip) + 1)
    out[start: start + len(clip)] = clip
    noise = rng.standard_normal(audio.NUM_SAMPLES)
    if rng.random() < 0.5:  # brown-ish noise
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(400) / 400, mode="same")
    sig_power = np.mean(clip ** 2) * len(clip) / audio.NUM_SAMPLES
    snr_db = rng.uniform(5.0, 30.0)
    noise *= np.sqrt(sig_power / (10 ** (snr_db / 10)) / max(1e-12, np.mean(noise ** 2)))
    return out + noise


def _split_items(rng, variants, per_class, words_for_unknown):
    items = []
    for label, word in enumerate(KWS_LABELS):
        for _ in range(per_class):
            w = word if word != "unknown" else words_for_unknown[rng.integers(len(words_for_unknown))]
            voice = f"{KWS_ACCENTS[rng.integers(len(KWS_ACCENTS))]}+{variants[rng.integers(len(variants))]}"
            items.append((w, voice, int(rng.integers(110, 221)), int(rng.integers(15, 86)), label))
    return items


def kws(seed=0, train_per_class=800, val_per_class=182, test_per_class=300, augment_copies=3,
        cache_dir=None, workers=2, log=print, only_splits=("train", "val", "test")):
    """Synthesised keyword spotting set; voices (espeak variants) split into disjoint train, val and
    test groups, so val and test use voices never heard in training."""
    rng = np.random.default_rng(seed)
    variants = espeak_variants()
    perm = [variants[i] for i in rng.permutation(len(variants))]
    n_test = len(perm) // 5
    n_val = len(perm) // 6
    test_v, val_v, train_v = perm[:n_test], perm[n_test:n_test + n_val], perm[n_test + n_val:]
    splits = {"train": (train_v, train_per_class, augment_copies),
              "val": (val_v, val_per_class, 1), "test": (test_v, test_per_class, 1)}
    arrays = {}
    for name, (voices, per_class, copies) in splits.items():
        items = _split_items(rng, voices, per_class, KWS_UNKNOWN_WORDS)
        key = hashlib.sha256(repr((items, copies, seed)).encode()).hexdigest()[:16]
        path = os.path.join(cache_dir, f"kws-{name}-{key}.npz") if cache_dir else None
        if name not in only_splits:
            arrays[name] = (None, None)
            continue
        if path and os.path.exists(path):
            d = np.load(path)
            arrays[name] = (d["x"], d["y"])
            log(f"  kws {name}: {len(d['y'])} examples (cached {path})")
            continue
        log(f"  kws {name}: synthesising {len(items)} clips with espeak-ng ({len(voices)} voice variants)")
        with ThreadPoolExecutor(max_workers=workers) as ex:
            clips = list(ex.map(_synth, [it[:4] for it in items], chunksize=16))
        aug_rng = np.random.default_rng([seed, {"train": 1, "val": 2, "test": 3}[name]])
        waves, labels = [], []
        for clip, it in zip(clips, items):
            for _ in range(copies):
                waves.append(_augment(clip, aug_rng))
                labels.append(it[4])
        x = np.concatenate([audio.log_mel(np.stack(waves[i:i + 1024]))
                            for i in range(0, len(waves), 1024)])
        y = np.asarray(labels, dtype=np.int64)
        if path:
            os.makedirs(cache_dir, exist_ok=True)
            np.savez(path + ".tmp.npz", x=x, y=y)
            os.replace(path + ".tmp.npz", path)
        arrays[name] = (x, y)
    if any(arrays[n][0] is None for n in arrays):
        return None  # partial synthesis (cache filling)
    return Dataset(*arrays["train"], *arrays["val"], *arrays["test"], list(KWS_LABELS),
                   {"source": "spoken words synthesised with espeak-ng "
                              f"({len(KWS_ACCENTS)} English accents x {len(variants)} voice variants, "
                              "speed 110-220 wpm, pitch 15-85), random gain, time shift in a 1 s "
                              "window, white or brown noise at 5-30 dB SNR",
                    "keywords": KWS_KEYWORDS, "unknown_words": KWS_UNKNOWN_WORDS,
                    "preprocessing": "log-mel, see docs/zoo.md (python/sparseloom_zoo/audio.py)",
                    "voices": {"train": train_v, "val": val_v, "test": test_v},
                    "val": f"{len(arrays['val'][1])} clips from {len(val_v)} held-out voice variants",
                    "test": f"{len(arrays['test'][1])} clips from {len(test_v)} other held-out "
                            "voice variants"})
