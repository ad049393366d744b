"""Character and word error rates, from the edit (Levenshtein) distance.

CER = (substituted + deleted + inserted characters) / characters in the reference; WER the same
over words. 0 is perfect; it can exceed 1 when the model invents a lot of text.
"""

from __future__ import annotations

from collections.abc import Sequence


def edit_distance(reference: Sequence, hypothesis: Sequence) -> int:
    """Fewest substitutions, deletions and insertions turning `reference` into `hypothesis`."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_item in enumerate(reference, start=1):
        current = [i]
        for j, hyp_item in enumerate(hypothesis, start=1):
            current.append(
                min(
                    previous[j] + 1,  # deletion
                    current[j - 1] + 1,  # insertion
                    previous[j - 1] + (ref_item != hyp_item),  # substitution or match
                )
            )
        previous = current
    return previous[-1]


def _rate(pairs: Sequence[tuple[Sequence, Sequence]]) -> float:
    errors = sum(edit_distance(ref, hyp) for ref, hyp in pairs)
    total = sum(len(ref) for ref, _ in pairs)
    if total == 0:
        return 0.0 if errors == 0 else float("inf")
    return errors / total


def cer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Character error rate over a corpus (errors summed, then divided: long clips weigh more)."""
    return _rate(list(zip(references, hypotheses, strict=True)))


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Word error rate over a corpus; words are split on whitespace."""
    return _rate([(r.split(), h.split()) for r, h in zip(references, hypotheses, strict=True)])
