"""Load the intents (training examples + responses) and the held-out examples from YAML."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import config


@dataclass
class Intent:
    name: str
    examples: list[str]
    responses: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    intents: dict[str, Intent]
    fallback: str

    def examples(self) -> tuple[list[str], list[str]]:
        """(texts, labels) of every training example."""
        texts, labels = [], []
        for intent in self.intents.values():
            texts += intent.examples
            labels += [intent.name] * len(intent.examples)
        return texts, labels


@dataclass
class Heldout:
    texts: list[str]
    labels: list[str]
    # Messages with no intent at all: the bot should fall back on them.
    out_of_scope: list[str]


def _read(path: Path) -> dict:
    with Path(path).open(encoding="utf-8") as file:
        content = yaml.safe_load(file)
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return content


def load_intents(paths: Iterable[Path] = config.INTENT_FILES) -> Dataset:
    """Read one or more intent files; later files add intents (a name may appear only once)."""
    intents: dict[str, Intent] = {}
    fallback = ""
    for path in paths:
        content = _read(path)
        fallback = content.get("fallback", fallback)
        for entry in content.get("intents", []):
            name = entry["name"]
            if name in intents:
                raise ValueError(f"{path}: intent {name!r} is defined twice")
            examples = [str(text) for text in entry.get("examples", [])]
            if not examples:
                raise ValueError(f"{path}: intent {name!r} has no examples")
            intents[name] = Intent(name, examples, [str(r) for r in entry.get("responses", [])])
    if len(intents) < 2:
        raise ValueError("need at least two intents to train a classifier")
    return Dataset(intents=intents, fallback=fallback or "Sorry, I didn't understand that.")


def load_heldout(paths: Iterable[Path] = config.HELDOUT_FILES) -> Heldout:
    texts, labels, out_of_scope = [], [], []
    for path in paths:
        content = _read(path)
        for name, examples in content.get("examples", {}).items():
            texts += [str(text) for text in examples]
            labels += [name] * len(examples)
        out_of_scope += [str(text) for text in content.get("out_of_scope", [])]
    return Heldout(texts=texts, labels=labels, out_of_scope=out_of_scope)


def data_hash(paths: Iterable[Path] = (*config.INTENT_FILES, *config.HELDOUT_FILES)) -> str:
    """SHA-256 over the data files' bytes: logged with every run, so a metric can always be
    traced back to the exact data it was measured on."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()
