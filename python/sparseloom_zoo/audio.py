"""Log-mel front end for the `kws` task (NumPy only, so the runtime can turn raw audio into inputs).

Exact recipe (docs/zoo.md repeats it for the C++ reimplementation):
  1. waveform: mono float32 in [-1, 1] at 16 kHz, exactly 16000 samples (zero-pad or crop the end).
  2. frames: 49 frames of 480 samples (30 ms) with hop 320 (20 ms), frame t starts at t * 320; no
     centering or padding.
  3. window: periodic Hann of length 480, w[n] = 0.5 - 0.5 cos(2 pi n / 480); the windowed frame is
     zero-padded on the right to 512 samples.
  4. power spectrum: |rfft_512|^2, 257 bins, bin k at frequency k * 16000 / 512 Hz.
  5. mel filterbank: 32 triangular filters on the HTK mel scale mel(f) = 2595 log10(1 + f / 700),
     edges at 34 points equally spaced in mel from 20 Hz to 7600 Hz; filter m rises linearly (in Hz)
     from edge m to edge m+1 (peak 1.0) and falls to edge m+2; no area normalisation.
  6. log: ln(mel_energy + 1e-6).
  7. layout: float32 [1, 32, 49] = [channel, mel, frame].
"""
import numpy as np

SAMPLE_RATE = 16000
NUM_SAMPLES = 16000
FRAME_LENGTH = 480
HOP_LENGTH = 320
N_FFT = 512
NUM_MELS = 32
NUM_FRAMES = 1 + (NUM_SAMPLES - FRAME_LENGTH) // HOP_LENGTH  # 49
F_MIN = 20.0
F_MAX = 7600.0
LOG_OFFSET = 1e-6


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank():
    """[NUM_MELS, N_FFT // 2 + 1] float64 triangular filters (step 5)."""
    edges = mel_to_hz(np.linspace(hz_to_mel(F_MIN), hz_to_mel(F_MAX), NUM_MELS + 2))
    freqs = np.arange(N_FFT // 2 + 1) * SAMPLE_RATE / N_FFT
    fb = np.zeros((NUM_MELS, freqs.size))
    for m in range(NUM_MELS):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rise = (freqs - lo) / (mid - lo)
        fall = (hi - freqs) / (hi - mid)
        fb[m] = np.maximum(0.0, np.minimum(rise, fall))
    return fb


_FB = mel_filterbank()
_WINDOW = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(FRAME_LENGTH) / FRAME_LENGTH)


def log_mel(waveform):
    """waveform: float [..., <=16000] at 16 kHz -> float32 [..., 1, 32, 49] log-mel features."""
    w = np.asarray(waveform, dtype=np.float64)
    lead = w.shape[:-1]
    w = w.reshape(-1, w.shape[-1])
    if w.shape[1] < NUM_SAMPLES:
        w = np.pad(w, ((0, 0), (0, NUM_SAMPLES - w.shape[1])))
    w = w[:, :NUM_SAMPLES]
    idx = np.arange(NUM_FRAMES)[:, None] * HOP_LENGTH + np.arange(FRAME_LENGTH)[None, :]
    frames = w[:, idx] * _WINDOW  # [B, 49, 480]
    spec = np.abs(np.fft.rfft(frames, n=N_FFT, axis=-1)) ** 2  # [B, 49, 257]
    mel = spec @ _FB.T  # [B, 49, 32]
    feats = np.log(mel + LOG_OFFSET).transpose(0, 2, 1)[:, None]  # [B, 1, 32, 49]
    return feats.astype(np.float32).reshape(*lead, 1, NUM_MELS, NUM_FRAMES)


def resample(x, sr_in, sr_out):
    """Band-limited FFT resampling of a 1-D signal (used by the builder for espeak's 22050 Hz)."""
    n_out = int(round(len(x) * sr_out / sr_in))
    spec = np.fft.rfft(x)
    keep = n_out // 2 + 1
    spec = spec[:keep] if keep <= spec.size else np.pad(spec, (0, keep - spec.size))
    return np.fft.irfft(spec, n=n_out) * (n_out / len(x))
