"""From the model's per-frame probabilities to text.

CTC lets the model say, frame by frame, "blank" or a token (here a word). A transcript is read
off by merging repeated tokens and then dropping blanks: with "-" for the blank,
"four four - - two - two" -> "four two two" (the blank between the two "two" runs is what
allows the same word twice in a row).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .text import BLANK, decode


def greedy_decode(log_probs: np.ndarray) -> str:
    """Best label per frame, repeats merged, blanks dropped. `log_probs` is (frames, vocab)."""
    best = np.asarray(log_probs).argmax(axis=-1)
    merged = [int(label) for i, label in enumerate(best) if i == 0 or label != best[i - 1]]
    return decode(label for label in merged if label != BLANK)


def _logsumexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    high = max(a, b)
    return high + math.log1p(math.exp(-abs(a - b)))


def beam_search_decode(log_probs: np.ndarray, beam_width: int = 8) -> str:
    """CTC prefix beam search: keeps the `beam_width` most probable prefixes per frame.

    Unlike greedy decoding it adds up every alignment of a prefix (e.g. "a-", "aa", "-a" all
    give "a"), so it can find a transcript whose best single path is not the best path overall.
    Without a language model the gain is usually small; it is here to compare (`evaluate`).
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)
    # prefix -> (log P(prefix, ending in blank), log P(prefix, ending in its last label))
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}
    for frame in log_probs:
        candidates = np.argsort(frame)[::-1][: max(beam_width, 2)]
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [-math.inf, -math.inf])
        for prefix, (p_blank, p_label) in beams.items():
            p_total = _logsumexp(p_blank, p_label)
            for label in candidates:
                p = float(frame[label])
                if label == BLANK:
                    entry = nxt[prefix]
                    entry[0] = _logsumexp(entry[0], p_total + p)
                    continue
                extended = (*prefix, int(label))
                entry = nxt[extended]
                if prefix and prefix[-1] == label:
                    # A repeat only extends after a blank; otherwise it merges into the prefix.
                    entry[1] = _logsumexp(entry[1], p_blank + p)
                    same = nxt[prefix]
                    same[1] = _logsumexp(same[1], p_label + p)
                else:
                    entry[1] = _logsumexp(entry[1], p_total + p)
        ranked = sorted(nxt.items(), key=lambda item: _logsumexp(*item[1]), reverse=True)
        beams = {prefix: (p[0], p[1]) for prefix, p in ranked[:beam_width]}
    best = max(beams.items(), key=lambda item: _logsumexp(*item[1]))[0]
    return decode(best)
