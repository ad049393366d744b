"""A trained model ready to transcribe: features + network + decoder, on one device."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .decode import beam_search_decode, greedy_decode
from .features import LogMel, num_frames
from .model import SpeechRecognizer

MODEL_FILE = "model.pt"
SETTINGS_FILE = "model.json"
# Zeros appended after a clip before transcribing it (0.1 s). In training, clips sit in padded
# batches, so the convolutions almost always saw silence-level features after a clip's end; a
# clip transcribed alone gets the same, instead of the convolution's zero padding (measured:
# 1 of 40 single clips lost its last word without it, 0 of 40 with it).
TAIL_PADDING = 1600
# Peak amplitude under which a clip counts as silence (-80 dBFS): transcribed as "" without
# asking the model, which would otherwise read patterns into amplified hiss.
SILENCE_PEAK = 1e-4


@dataclass
class Transcriber:
    features: LogMel
    model: SpeechRecognizer
    device: torch.device
    settings: dict[str, Any]
    origin: str = "given"

    @classmethod
    def load(cls, model_dir: str | Path, device: torch.device | None = None) -> Transcriber:
        """The model `make train` saved; FileNotFoundError (saying what to run) if none."""
        model_dir = Path(model_dir)
        weights, settings_file = model_dir / MODEL_FILE, model_dir / SETTINGS_FILE
        if not weights.exists() or not settings_file.exists():
            raise FileNotFoundError(f"no trained model in {model_dir}/; run `make train` first")
        settings = json.loads(settings_file.read_text(encoding="utf-8"))["settings"]
        transcriber = build(settings, device or torch.device("cpu"))
        # weights_only=True: the file may only hold tensors, so loading cannot run code.
        state = torch.load(weights, map_location=transcriber.device, weights_only=True)
        transcriber.model.load_state_dict(state)
        transcriber.model.eval()
        transcriber.origin = f"loaded from {model_dir}"
        return transcriber

    def forward(self, waves: torch.Tensor, lengths: torch.Tensor):
        """Waveforms (batch, samples) -> log-probs (batch, T, vocab) and T per clip."""
        with torch.no_grad():
            feats = self.features(waves, lengths)
        return self.model(feats, num_frames(lengths))

    def decode(
        self, log_probs: torch.Tensor, lengths: torch.Tensor, beam_width: int = 0
    ) -> list[str]:
        """Greedy decoding, or CTC prefix beam search when beam_width > 1."""
        out = log_probs.detach().float().cpu().numpy()
        if beam_width > 1:
            return [beam_search_decode(out[i, :n], beam_width) for i, n in enumerate(lengths)]
        return [greedy_decode(out[i, :n]) for i, n in enumerate(lengths)]

    def transcribe(self, samples: np.ndarray, beam_width: int = 0) -> str:
        """Mono float samples at the model's sample rate -> text ("" for silence)."""
        samples = np.asarray(samples, dtype=np.float32)
        if len(samples) == 0 or float(np.abs(samples).max()) < SILENCE_PEAK:
            return ""
        self.model.eval()
        padded = np.concatenate([samples, np.zeros(TAIL_PADDING, dtype=np.float32)])
        waves = torch.from_numpy(padded)[None].to(self.device)
        lengths = torch.tensor([len(samples)], device=self.device)
        with torch.no_grad():
            log_probs, out_lengths = self.forward(waves, lengths)
        return self.decode(log_probs, out_lengths.cpu(), beam_width)[0]


def build(settings: dict[str, Any], device: torch.device) -> Transcriber:
    """A fresh (untrained) transcriber with these settings (see model.json)."""
    model = SpeechRecognizer(
        rnn=settings["rnn"],
        channels=settings["channels"],
        hidden=settings["hidden"],
        layers=settings["layers"],
    )
    features = LogMel(sample_rate=settings["sample_rate"])
    return Transcriber(features.to(device), model.to(device), device, settings)
