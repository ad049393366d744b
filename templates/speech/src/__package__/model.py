"""The acoustic model: convolutions, a bidirectional recurrent network and a linear layer.

features (batch, frames, 40 mels)
-> 2 convolutions over time x frequency, each with stride 2 in time and in frequency: one
   output every 80 ms, which leaves a spoken digit (0.2-0.4 s) 2-5 frames for its label and
   CTC's blanks (one word is one label), and makes the recurrent network (the slow, sequential
   part) 4x shorter
-> a linear projection of the (channels x mel bands) per frame
-> a bidirectional GRU or LSTM: each frame sees the whole clip, both directions
-> a linear layer to one score per character + blank, as log-probabilities for CTC
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .features import N_MELS
from .text import VOCAB_SIZE


class SpeechRecognizer(nn.Module):
    def __init__(
        self,
        rnn: str = "gru",
        n_mels: int = N_MELS,
        channels: int = 32,
        hidden: int = 128,
        layers: int = 1,
        dropout: float = 0.1,
        vocab_size: int = VOCAB_SIZE,
    ) -> None:
        super().__init__()
        if rnn not in ("gru", "lstm"):
            raise ValueError(f"rnn must be 'gru' or 'lstm'; got {rnn!r}")
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=3, stride=(2, 2), padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size=3, stride=(2, 2), padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
        )
        bands = (n_mels + 3) // 4  # frequency halved twice
        self.project = nn.Linear(channels * bands, hidden)
        rnn_class = nn.GRU if rnn == "gru" else nn.LSTM
        self.rnn = rnn_class(
            hidden,
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.classify = nn.Linear(2 * hidden, vocab_size)

    @staticmethod
    def output_lengths(frames: torch.Tensor) -> torch.Tensor:
        """Frames after the two stride-2 convolutions (kernel 3, padding 1)."""
        for _ in range(2):
            frames = (frames - 1) // 2 + 1
        return frames

    def forward(
        self, feats: torch.Tensor, frames: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """feats (batch, frames, mels), frames (batch,) -> (log-probs (batch, T, vocab), T)."""
        x = self.conv(feats.unsqueeze(1))  # (batch, channels, T, bands)
        x = x.permute(0, 2, 1, 3).flatten(2)  # (batch, T, channels * bands)
        x = torch.relu(self.project(x))
        lengths = self.output_lengths(frames).clamp(max=x.shape[1])
        # Packing stops the backward direction from reading the padding of shorter clips.
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        x, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return self.classify(self.dropout(x)).log_softmax(dim=-1), lengths


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
