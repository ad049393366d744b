"""Mean average precision at IoU 0.5 (the PASCAL VOC measure), overall and per class.

For one class: sort every detection of that class over the whole set by score; walk down the
list and call a detection a true positive when it overlaps a not-yet-matched ground-truth box of
the class by IoU >= 0.5, else a false positive. That traces a precision-recall curve; AP is the
area under it after making precision monotonically decreasing ("all-point interpolation").
mAP is the mean of the per-class APs over the classes that occur in the ground truth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .boxes import box_iou


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under a precision-recall curve, with precision made non-increasing."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[1.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]  # precision envelope, right to left
    steps = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def mean_average_precision(
    predictions: Sequence[dict[str, torch.Tensor]],
    ground_truth: Sequence[dict[str, torch.Tensor]],
    num_classes: int,
    iou_threshold: float = 0.5,
) -> tuple[float, list[float | None]]:
    """(mAP, AP per class) over a set of images; a class absent from the ground truth gets None.

    ``predictions[i]`` has ``boxes`` (N, 4), ``scores`` (N,), ``labels`` (N,) for image i;
    ``ground_truth[i]`` has ``boxes`` and ``labels``.
    """
    per_class: list[float | None] = []
    for c in range(num_classes):
        scored: list[tuple[float, int, int]] = []  # (score, image, detection index)
        ious: list[np.ndarray] = []  # per image: IoU of each class-c detection with each truth
        n_truth = 0
        for i, (pred, truth) in enumerate(zip(predictions, ground_truth, strict=True)):
            mine, theirs = pred["labels"] == c, truth["labels"] == c
            n_truth += int(theirs.sum())
            # One IoU matrix per image (detections x truths), not one call per detection.
            ious.append(box_iou(pred["boxes"][mine].float(), truth["boxes"][theirs]).numpy())
            for j, score in enumerate(pred["scores"][mine].tolist()):
                scored.append((score, i, j))
        if n_truth == 0:
            per_class.append(None)
            continue
        scored.sort(key=lambda item: -item[0])
        matched: dict[int, set[int]] = {}
        tp = np.zeros(len(scored))
        for k, (_, i, j) in enumerate(scored):
            if ious[i].shape[1] == 0:
                continue
            best = int(ious[i][j].argmax())
            taken = matched.setdefault(i, set())
            if ious[i][j, best] >= iou_threshold and best not in taken:
                taken.add(best)
                tp[k] = 1
        cum_tp = np.cumsum(tp)
        recall = cum_tp / n_truth
        precision = cum_tp / np.arange(1, len(scored) + 1)
        per_class.append(average_precision(recall, precision) if scored else 0.0)
    present = [ap for ap in per_class if ap is not None]
    return (float(np.mean(present)) if present else 0.0), per_class
