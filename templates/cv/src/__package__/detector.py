"""A compact anchor-free single-stage detector (CenterNet style), in plain PyTorch.

How it sees an image of 128 x 128 pixels:
1. A small convolutional backbone shrinks it to feature maps of 32 x 32 (stride 4), 16 x 16 and
   8 x 8; the coarse maps are upsampled and added back (a tiny feature pyramid), so every cell of
   the 32 x 32 grid sees both detail and context.
2. One shared 3 x 3 convolution, then three 1 x 1 heads predict, for every grid cell:
   - a heatmap per class: "an object of this class is centred in this cell" (0..1),
   - the object's width and height (in cells),
   - the sub-cell offset of the exact centre.
3. Decoding keeps the cells that are local maxima of the heatmap (a 3 x 3 max-pool trick), turns
   each into a box from its size and offset, and removes duplicates with non-maximum suppression.

No anchor boxes, no region proposals: one pass, a few hundred thousand parameters, and it trains
from scratch on a CPU. Reference: Zhou et al., "Objects as Points" (2019).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812 (the usual PyTorch alias)
from torch import Tensor, nn

from .boxes import batched_nms

MODEL_NAME = "detector"
STRIDE = 4  # input pixels per grid cell
SIZE_WEIGHT = 0.1  # how much the width/height error counts next to the heatmap loss


def conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """3x3 convolution, batch norm, ReLU: the building block of the whole network."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ShapeDetector(nn.Module):
    def __init__(self, num_classes: int, image_size: int = 128, width: int = 24) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.input_size = image_size  # the predictor resizes uploads to this square
        w = width
        self.stem = nn.Sequential(conv_bn(3, w // 2, 2), conv_bn(w // 2, w, 2), conv_bn(w, w))
        self.down1 = nn.Sequential(conv_bn(w, 2 * w, 2), conv_bn(2 * w, 2 * w))  # stride 8
        self.down2 = nn.Sequential(conv_bn(2 * w, 4 * w, 2), conv_bn(4 * w, 4 * w))  # stride 16
        self.lateral2 = nn.Conv2d(4 * w, 2 * w, 1)
        self.merge1 = conv_bn(2 * w, 2 * w)
        self.lateral1 = nn.Conv2d(2 * w, w, 1)
        self.merge0 = conv_bn(w, w)
        # One 3x3 layer shared by the three heads (a third of the cost of one each), then a 1x1
        # convolution per head.
        self.trunk = conv_bn(w, w)
        self.heatmap = nn.Conv2d(w, num_classes, 1)
        self.size = nn.Conv2d(w, 2, 1)
        self.offset = nn.Conv2d(w, 2, 1)
        # Start the heatmap near 0.1 everywhere (focal-loss practice), so early training is stable.
        nn.init.constant_(self.heatmap.bias, -math.log((1 - 0.1) / 0.1))

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        """``images``: (B, 3, H, W) in 0..1. Returns raw head outputs on the H/4 x W/4 grid."""
        x = (images - 0.5) / 0.25
        c0 = self.stem(x)
        c1 = self.down1(c0)
        c2 = self.down2(c1)
        p1 = self.merge1(c1 + F.interpolate(self.lateral2(c2), scale_factor=2.0, mode="nearest"))
        p0 = self.merge0(c0 + F.interpolate(self.lateral1(p1), scale_factor=2.0, mode="nearest"))
        t = self.trunk(p0)
        return {"heatmap": self.heatmap(t), "size": self.size(t), "offset": self.offset(t)}

    # --- training ------------------------------------------------------------------------------

    def encode_targets(self, targets: list[dict[str, Tensor]], grid: tuple[int, int]):
        """Turn boxes into what the heads should output.

        Heatmap: a Gaussian bump per object, peak 1 in the cell holding its centre, spread in
        proportion to its size. Size and offset: only at those centre cells (``index``).
        """
        gh, gw = grid
        device = self.heatmap.weight.device
        heatmap = torch.zeros(len(targets), self.num_classes, gh, gw, device=device)
        ys = torch.arange(gh, device=device, dtype=torch.float32)[:, None]
        xs = torch.arange(gw, device=device, dtype=torch.float32)[None, :]
        batch, cells, sizes, offsets = [], [], [], []
        for b, target in enumerate(targets):
            for box, label in zip(target["boxes"].tolist(), target["labels"].tolist(), strict=True):
                cx, cy = (box[0] + box[2]) / 2 / STRIDE, (box[1] + box[3]) / 2 / STRIDE
                bw, bh = (box[2] - box[0]) / STRIDE, (box[3] - box[1]) / STRIDE
                ix, iy = min(int(cx), gw - 1), min(int(cy), gh - 1)
                sigma = max(0.6, 0.15 * math.sqrt(bw * bh))
                bump = torch.exp(-((xs - ix) ** 2 + (ys - iy) ** 2) / (2 * sigma**2))
                heatmap[b, label] = torch.maximum(heatmap[b, label], bump)
                batch.append(b)
                cells.append(iy * gw + ix)
                sizes.append((bw, bh))
                offsets.append((cx - ix, cy - iy))
        return {
            "heatmap": heatmap,
            "batch": torch.tensor(batch, dtype=torch.long, device=device),
            "cell": torch.tensor(cells, dtype=torch.long, device=device),
            "size": torch.tensor(sizes, dtype=torch.float32, device=device).reshape(-1, 2),
            "offset": torch.tensor(offsets, dtype=torch.float32, device=device).reshape(-1, 2),
        }

    def training_loss(self, images: Tensor, targets: list[dict[str, Tensor]]) -> dict[str, Tensor]:
        out = self(images)
        gh, gw = out["heatmap"].shape[-2:]
        t = self.encode_targets(targets, (gh, gw))
        num = max(len(t["cell"]), 1)
        heat = focal_loss(out["heatmap"], t["heatmap"]) / num

        def at_centres(x: Tensor) -> Tensor:  # (B, 2, H, W) -> (N, 2) at each object's cell
            return x.flatten(2)[t["batch"], :, t["cell"]]

        size = F.l1_loss(at_centres(out["size"]), t["size"], reduction="sum") / num
        offset = F.l1_loss(at_centres(out["offset"]), t["offset"], reduction="sum") / num
        total = heat + SIZE_WEIGHT * size + offset
        return {"loss": total, "heatmap": heat, "size": size, "offset": offset}

    # --- inference -----------------------------------------------------------------------------

    @torch.no_grad()
    def detect(
        self,
        images: Tensor,
        score_threshold: float = 0.3,
        iou_threshold: float = 0.5,
        max_detections: int = 50,
    ) -> list[dict[str, Tensor]]:
        """Boxes (pixels of the input), scores and class indices for each image of the batch."""
        return decode(self(images), score_threshold, iou_threshold, max_detections)


def focal_loss(logits: Tensor, target: Tensor, alpha: float = 2.0, beta: float = 4.0) -> Tensor:
    """CenterNet's focal loss, summed: most cells are background, so easy cells count little.

    At object centres (target == 1) it is ``-(1 - p)^alpha * log(p)``; elsewhere
    ``-(1 - target)^beta * p^alpha * log(1 - p)``, where ``(1 - target)^beta`` forgives cells
    right next to a centre for firing a bit.
    """
    p = logits.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    pos_loss = -((1 - p) ** alpha) * torch.log(p) * pos
    neg_loss = -((1 - target) ** beta) * p**alpha * torch.log(1 - p) * (1 - pos)
    return pos_loss.sum() + neg_loss.sum()


def decode(
    out: dict[str, Tensor],
    score_threshold: float,
    iou_threshold: float,
    max_detections: int = 50,
) -> list[dict[str, Tensor]]:
    """Heatmap peaks -> boxes. A peak is a cell equal to the max of its 3 x 3 neighbourhood."""
    heat = out["heatmap"].sigmoid()
    peaks = heat * (F.max_pool2d(heat, 3, stride=1, padding=1) == heat)
    bsz, classes, gh, gw = heat.shape
    k = min(max_detections, classes * gh * gw)
    scores, index = peaks.flatten(1).topk(k)
    results = []
    for b in range(bsz):
        keep = scores[b] >= score_threshold
        s, idx = scores[b][keep], index[b][keep]
        labels = idx // (gh * gw)
        cell = idx % (gh * gw)
        y, x = (cell // gw).float(), (cell % gw).float()
        size = out["size"][b].flatten(1)[:, cell].clamp(min=0)  # (2, n)
        offset = out["offset"][b].flatten(1)[:, cell]
        cx, cy = (x + offset[0]) * STRIDE, (y + offset[1]) * STRIDE
        w, h = size[0] * STRIDE, size[1] * STRIDE
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=1)
        kept = batched_nms(boxes, s, labels, iou_threshold)
        results.append({"boxes": boxes[kept], "scores": s[kept], "labels": labels[kept]})
    return results


def build_model(num_classes: int, image_size: int = 128) -> ShapeDetector:
    return ShapeDetector(num_classes, image_size)
