"""Box arithmetic every model shares: IoU, non-maximum suppression, and the Detection record.

Boxes are ``(x1, y1, x2, y2)`` in pixels, x to the right and y down, with ``x2 > x1`` and
``y2 > y1``. Written out in plain PyTorch (rather than ``torchvision.ops``) so the fundamentals
are on the page and the project does not need torchvision.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Detection:
    """One detected object, in the pixel coordinates of the image it was found in."""

    box: tuple[float, float, float, float]
    label: str
    score: float

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "box": [round(v, 1) for v in self.box],
        }


def box_area(boxes: Tensor) -> Tensor:
    """Area of each box in an (N, 4) tensor; degenerate boxes have area 0."""
    return (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)


def box_iou(a: Tensor, b: Tensor) -> Tensor:
    """IoU of every box in ``a`` (N, 4) with every box in ``b`` (M, 4): an (N, M) tensor."""
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return inter / union.clamp(min=1e-9)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression: indices of the boxes kept, best score first.

    Take the highest-scoring box, drop every remaining box that overlaps it by more than
    ``iou_threshold``, repeat. The IoU of every pair is computed once, as one matrix, which is
    fine for the few hundred candidates a decoder produces; the greedy walk is then plain Python.
    """
    order = scores.argsort(descending=True)
    overlaps = (box_iou(boxes[order], boxes[order]) > iou_threshold).tolist()
    suppressed = [False] * len(order)
    keep: list[int] = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        for j in range(i + 1, len(order)):
            suppressed[j] = suppressed[j] or overlaps[i][j]
    return order[keep]


def batched_nms(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float) -> Tensor:
    """NMS within each class only: a circle never suppresses an overlapping square.

    The trick: shift each class's boxes by a different large offset so boxes of different
    classes can never overlap, then run plain NMS once.
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    offset = labels.to(boxes.dtype)[:, None] * (boxes.max() + 1)
    return nms(boxes + offset, scores, iou_threshold)


def scale_boxes(boxes: Tensor, from_size: tuple[int, int], to_size: tuple[int, int]) -> Tensor:
    """Rescale boxes from an image of ``from_size`` (width, height) to one of ``to_size``."""
    sx = to_size[0] / from_size[0]
    sy = to_size[1] / from_size[1]
    return boxes * torch.tensor([sx, sy, sx, sy], dtype=boxes.dtype, device=boxes.device)
