"""A mel filter bank in numpy: the same matrix as librosa.filters.mel with its defaults.

The mel scale spaces bands like human pitch perception. This is the Slaney (Auditory Toolbox)
variant that librosa uses by default: linear below 1 kHz (3 mels per 200 Hz), logarithmic above
(27 mels per factor 6.4). Each filter is a triangle from the centre of the band below to the
centre of the band above, scaled to unit area ("slaney" normalization) so wide high bands do
not outweigh narrow low ones.
"""

from __future__ import annotations

import numpy as np

_F_SP = 200.0 / 3  # Hz per mel below 1 kHz
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP  # 15 mels
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _F_SP
    log = _MIN_LOG_MEL + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(hz >= _MIN_LOG_HZ, log, linear)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _F_SP
    log = _MIN_LOG_HZ * np.exp(_LOGSTEP * (np.maximum(mel, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(mel >= _MIN_LOG_MEL, log, linear)


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """Triangular filters, shape (n_mels, n_fft // 2 + 1), float32."""
    fmax = sample_rate / 2 if fmax is None else fmax
    fft_freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    # n_mels + 2 points evenly spaced in mel: each filter spans three consecutive points.
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]  # rising edge of each triangle
    upper = ramps[2:] / widths[1:, None]  # falling edge
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]  # unit area
    return weights.astype(np.float32)
