"""The saved speech recogniser as MLflow serves it: a table of audio files in, transcripts out.

tracking.log_model logs the model files that `make train` saves; MLflow calls `load` on its copy.
Audio travels as the bytes of a file (WAV, FLAC, ...), decoded and resampled as the web app does.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from . import config
from .audio import decode_upload
from .inference import Transcriber
from .synth import synthesize


def example() -> pd.DataFrame:
    """The input example stored with the model (and used to infer its signature)."""
    buffer = io.BytesIO()
    clip = synthesize([4, 2], np.random.default_rng(0), config.SAMPLE_RATE)
    sf.write(buffer, clip, config.SAMPLE_RATE, format="WAV")
    return pd.DataFrame({"audio": [buffer.getvalue()]})


def load(model_dir: Path) -> Callable[[pd.DataFrame], pd.DataFrame]:
    transcriber = Transcriber.load(model_dir)

    def predict(clips: pd.DataFrame) -> pd.DataFrame:
        samples = [
            decode_upload(data, config.SAMPLE_RATE, config.MAX_SECONDS)[0]
            for data in clips["audio"]
        ]
        return pd.DataFrame({"transcript": [transcriber.transcribe(s) for s in samples]})

    return predict
