"""Log-mel features: what the model hears.

A short-time Fourier transform (25 ms windows every 20 ms) gives the energy at each frequency;
a mel filter bank sums it into bands spaced like human pitch perception (narrow at low
frequencies, wide at high ones); the log compresses the huge dynamic range of sound.

The STFT runs in torch (fast, and on the GPU when training there); only the filter bank, a
fixed matrix computed once, comes from the audio library (see audio.mel_filters). Calling
librosa.feature.melspectrogram instead would cost a numba compilation of several seconds at
every cold start of the server.
"""

from __future__ import annotations

import torch
from torch import nn

from .audio import mel_filters

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms window
# 20 ms: 50 frames per second, half those of the usual 10 ms hop. The recurrent network's cost
# grows with the number of frames, and a spoken digit still spans 10-20 of them.
HOP = 320
N_MELS = 40
FLOOR_DB = 80.0  # everything more than 80 dB below the loudest band is clipped to the floor


def num_frames(num_samples: int | torch.Tensor) -> int | torch.Tensor:
    """Frames the STFT gives for a clip of `num_samples` (centre=True padding)."""
    return num_samples // HOP + 1


class LogMel(nn.Module):
    """Waveforms (batch, samples) -> features (batch, frames, N_MELS), roughly in [-1, 1].

    Each clip is scaled so its loudest band is 1 and the 80 dB floor is -1: the features do not
    depend on how loud the recording is. The filter bank and window are buffers, so
    `.to(device)` moves them with the model.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, n_mels: int = N_MELS) -> None:
        super().__init__()
        filters = torch.as_tensor(mel_filters(sample_rate, N_FFT, n_mels), dtype=torch.float32)
        self.register_buffer("filters", filters, persistent=False)  # (n_mels, N_FFT // 2 + 1)
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)

    def forward(self, waves: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        spec = (
            torch.stft(
                waves, N_FFT, HOP, window=self.window, center=True, return_complex=True
            ).abs()
            ** 2
        )  # (batch, freq, frames)
        mel = torch.matmul(self.filters, spec).transpose(1, 2)  # (batch, frames, n_mels)
        if lengths is None:
            peak = mel.amax(dim=(1, 2), keepdim=True)
        else:
            # Padding frames must not count, so take each clip's peak over its own frames.
            frames = num_frames(lengths).to(mel.device)
            valid = torch.arange(mel.shape[1], device=mel.device)[None, :] < frames[:, None]
            peak = mel.masked_fill(~valid[:, :, None], 0.0).amax(dim=(1, 2), keepdim=True)
        # Floor relative to the peak (not an absolute one), so a quiet recording of the same
        # sound gives the same features. The tiny absolute minimum only guards all-zero input.
        floor = (peak * 10 ** (-FLOOR_DB / 10)).clamp_min(1e-20)
        db = 10 * torch.log10(torch.maximum(mel, floor) / floor)  # 0 .. FLOOR_DB
        return db / (FLOOR_DB / 2) - 1
