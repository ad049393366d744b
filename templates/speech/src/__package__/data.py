"""Where training clips come from, and how they are batched.

- Synthetic digit strings (synth.py), made on the fly: an endless stream, so no clip is seen
  twice and nothing is downloaded. `make train` uses these.
- A folder of your own clips with transcripts (`folder_dataset`): either a `transcripts.csv`
  (columns `file,text`) or a `.txt` file next to each clip with the same name.
- The Free Spoken Digit Dataset (FSDD, 3,000 recordings of spoken digits by 6 speakers, 8 kHz,
  licence CC BY-SA 4.0): `make data` downloads it and writes it as such a folder.
"""

from __future__ import annotations

import csv
import io
import shutil
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from .audio import load_clip, soundfile_formats
from .synth import SAMPLE_RATE, random_example
from .text import DIGIT_WORDS, encode, normalize

Example = tuple[np.ndarray, str]  # (mono float32 samples at SAMPLE_RATE, transcript)

FSDD_VERSION = "v1.0.10"
FSDD_URL = (
    f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/{FSDD_VERSION}.zip"
)
FSDD_LICENSE = "CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)"


class SyntheticDigits(IterableDataset):
    """An endless, reproducible stream of synthetic digit-string clips.

    Used with a DataLoader worker, so clips are synthesised on one CPU core while the model
    trains on another. The stream depends only on `seed` (one worker; with several, each gets
    its own seed derived from it).
    """

    def __init__(self, seed: int, min_digits: int = 1, max_digits: int = 5) -> None:
        self.seed, self.min_digits, self.max_digits = seed, min_digits, max_digits

    def __iter__(self) -> Iterator[Example]:
        worker = get_worker_info()
        rng = np.random.default_rng([self.seed, worker.id if worker else 0])
        while True:
            yield random_example(rng, self.min_digits, self.max_digits)


def synthetic_set(n: int, seed: int, min_digits: int = 1, max_digits: int = 5) -> list[Example]:
    """A fixed list of `n` synthetic clips (validation and tests)."""
    rng = np.random.default_rng(seed)
    return [random_example(rng, min_digits, max_digits) for _ in range(n)]


@dataclass
class Batch:
    waves: torch.Tensor  # (batch, samples), zero-padded
    lengths: torch.Tensor  # (batch,) samples per clip
    targets: torch.Tensor  # all transcripts' label ids, concatenated (what CTCLoss wants)
    target_lengths: torch.Tensor  # (batch,)
    texts: list[str]

    def to(self, device: torch.device | str) -> Batch:
        return Batch(
            self.waves.to(device),
            self.lengths.to(device),
            self.targets.to(device),
            self.target_lengths.to(device),
            self.texts,
        )


def collate(examples: Sequence[Example]) -> Batch:
    lengths = torch.tensor([len(wave) for wave, _ in examples])
    waves = torch.zeros(len(examples), int(lengths.max()))
    for i, (wave, _) in enumerate(examples):
        waves[i, : len(wave)] = torch.from_numpy(np.asarray(wave, dtype=np.float32))
    labels = [torch.tensor(encode(text), dtype=torch.long) for _, text in examples]
    return Batch(
        waves=waves,
        lengths=lengths,
        targets=torch.cat(labels),
        target_lengths=torch.tensor([len(x) for x in labels]),
        texts=[normalize(text) for _, text in examples],
    )


# --- your own clips -----------------------------------------------------------------------


def read_transcripts(folder: Path) -> list[tuple[Path, str]]:
    """(clip path, transcript) pairs from transcripts.csv, else from one .txt per clip."""
    folder = Path(folder)
    table = folder / "transcripts.csv"
    if table.exists():
        with table.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if rows and not {"file", "text"} <= set(rows[0]):
            raise ValueError(f"{table} needs the columns file,text; has {sorted(rows[0])}")
        return [(folder / row["file"], row["text"]) for row in rows]
    pairs = []
    for text_file in sorted(folder.glob("*.txt")):
        clips = [
            p
            for p in sorted(folder.glob(f"{text_file.stem}.*"))
            if p.suffix.lower() != ".txt" and p.is_file()
        ]
        if clips:
            pairs.append((clips[0], text_file.read_text(encoding="utf-8").strip()))
    return pairs


def folder_dataset(folder: str | Path, sample_rate: int = SAMPLE_RATE) -> list[Example]:
    """Every clip of `folder` with its transcript, loaded and resampled to `sample_rate`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder (run `make data` to fetch FSDD)")
    pairs = read_transcripts(folder)
    if not pairs:
        raise FileNotFoundError(
            f"{folder} has no transcripts.csv (file,text) and no <clip>.txt transcripts"
        )
    examples = []
    for path, text in pairs:
        if not normalize(text):
            raise ValueError(f"{path}: empty transcript after normalization: {text!r}")
        examples.append((load_clip(path, sample_rate), text))
    return examples


def split(examples: Sequence[Example], every: int = 10) -> tuple[list[Example], list[Example]]:
    """Deterministic hold-out: every `every`-th clip validates, the rest trains."""
    held_out = [ex for i, ex in enumerate(examples) if i % every == 0]
    kept = [ex for i, ex in enumerate(examples) if i % every != 0]
    return kept, held_out


# --- the Free Spoken Digit Dataset (make data) -----------------------------------------------


def extract_fsdd(archive: Path | bytes, dest: Path) -> int:
    """Copy the recordings of an FSDD zip archive into `dest` with a transcripts.csv.

    FSDD names its files `<digit>_<speaker>_<index>.wav`; the transcript is the digit's word.
    Returns the number of clips written.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    source = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    rows = []
    with zipfile.ZipFile(source) as zipped:
        for member in sorted(zipped.namelist()):
            path = Path(member)
            if path.parent.name != "recordings" or path.suffix.lower() not in soundfile_suffixes():
                continue
            digit = path.stem.split("_")[0]
            if not digit.isdigit() or len(digit) != 1:
                continue
            # Only the file name is used: a crafted archive cannot write outside `dest`.
            with zipped.open(member) as src, (dest / path.name).open("wb") as out:
                shutil.copyfileobj(src, out)
            rows.append((path.name, DIGIT_WORDS[int(digit)]))
    with (dest / "transcripts.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "text"])
        writer.writerows(rows)
    (dest / "LICENSE.txt").write_text(
        "Free Spoken Digit Dataset (https://github.com/Jakobovski/free-spoken-digit-dataset)\n"
        f"Licence: {FSDD_LICENSE}\n",
        encoding="utf-8",
    )
    return len(rows)


def soundfile_suffixes() -> set[str]:
    return {f".{name}" for name in soundfile_formats()}


def download_fsdd(dest: Path, url: str = FSDD_URL, timeout: float = 60.0) -> int:
    """Download FSDD (about 10 MB) and extract it into `dest`. The only network access."""
    print(f"Downloading {url}\n  licence: {FSDD_LICENSE}")
    with urllib.request.urlopen(url, timeout=timeout) as response:
        archive = response.read()
    return extract_fsdd(archive, dest)
