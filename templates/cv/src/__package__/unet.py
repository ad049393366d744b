"""A U-Net that labels every pixel with a class (or background); boxes come from the mask.

How it works:
1. A strided convolution halves the image (128 -> 64 pixels); the encoder then halves it three
   more times (64 -> 32 -> 16 -> 8) while doubling the channels, so deep layers see whole shapes.
2. The decoder upsamples back to 64 x 64; at each scale it concatenates the encoder's
   features of the same size (the "skip connections" that give U-Net its U), which restore the
   exact outlines that the downsampling blurred.
3. A 1 x 1 convolution gives, per pixel, a score for background and each class; training
   minimises cross-entropy plus a Dice loss (which keeps small shapes from drowning in the
   background pixels).
4. Detection: take the most likely class of each pixel, group touching pixels of the same class
   into connected components, and put a box around each one. Its score is the mean probability
   of that class over the component.

Limit: two touching objects of the same class become one component, so one box. A detector
(the ``detector`` option) has no such problem; a U-Net gives you the object outlines as well.
Reference: Ronneberger et al., "U-Net" (2015).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 (the usual PyTorch alias)
from torch import Tensor, nn

from .boxes import batched_nms

MODEL_NAME = "unet"
STRIDE = 2  # image pixels per mask pixel
BACKGROUND_WEIGHT = 0.2  # cross-entropy weight of background pixels (objects: 1)
MIN_AREA = 4  # components smaller than this many mask pixels are noise, not objects


def double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Up(nn.Module):
    """Upsample 2x, concatenate the encoder's features of that scale, two convolutions."""

    def __init__(self, cin: int, skip: int, cout: int) -> None:
        super().__init__()
        self.conv = double_conv(cin + skip, cout)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, skip], dim=1))


class UNet(nn.Module):
    def __init__(self, num_classes: int, image_size: int = 128, width: int = 16) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.input_size = image_size
        w = width
        # A stride-2 stem: the mask is predicted at half resolution (64 x 64 for 128 x 128
        # images), which is 4x cheaper than full resolution and plenty for boxes.
        self.stem = nn.Sequential(
            nn.Conv2d(3, w, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True)
        )
        self.enc0 = double_conv(w, w)  # 64
        self.enc1 = double_conv(w, 2 * w)  # 32
        self.enc2 = double_conv(2 * w, 4 * w)  # 16
        self.bottom = double_conv(4 * w, 8 * w)  # 8
        self.up2 = Up(8 * w, 4 * w, 4 * w)
        self.up1 = Up(4 * w, 2 * w, 2 * w)
        self.up0 = Up(2 * w, w, w)
        self.classify = nn.Conv2d(w, num_classes + 1, 1)  # channel 0 is background

    def forward(self, images: Tensor) -> Tensor:
        """``images`` (B, 3, H, W) in 0..1 -> logits (B, 1 + classes, H / 2, W / 2)."""
        x = (images - 0.5) / 0.25
        e0 = self.enc0(self.stem(x))
        e1 = self.enc1(F.max_pool2d(e0, 2))
        e2 = self.enc2(F.max_pool2d(e1, 2))
        b = self.bottom(F.max_pool2d(e2, 2))
        return self.classify(self.up0(self.up1(self.up2(b, e2), e1), e0))

    def training_loss(self, images: Tensor, targets: list[dict[str, Tensor]]) -> dict[str, Tensor]:
        logits = self(images)
        # (B, H, W): 0 background, k + 1 class k; every second pixel, to match the output size.
        mask = torch.stack([t["mask"][::STRIDE, ::STRIDE] for t in targets])
        # Background is most of every image: weigh it down so the shapes are not drowned out.
        weight = torch.ones(self.num_classes + 1, device=logits.device)
        weight[0] = BACKGROUND_WEIGHT
        ce = F.cross_entropy(logits, mask, weight=weight)
        probs = logits.softmax(1)[:, 1:]  # foreground classes only
        onehot = F.one_hot(mask, self.num_classes + 1).permute(0, 3, 1, 2)[:, 1:].float()
        inter = (probs * onehot).sum((0, 2, 3))
        dice = 1 - ((2 * inter + 1) / (probs.sum((0, 2, 3)) + onehot.sum((0, 2, 3)) + 1)).mean()
        return {"loss": ce + dice, "cross_entropy": ce, "dice": dice}

    @torch.no_grad()
    def detect(
        self, images: Tensor, score_threshold: float = 0.3, iou_threshold: float = 0.5
    ) -> list[dict[str, Tensor]]:
        probs = self(images).softmax(1)
        results = [boxes_from_mask(p, score_threshold, iou_threshold) for p in probs]
        for r in results:
            r["boxes"] = r["boxes"] * STRIDE  # mask pixels -> image pixels
        return results


def connected_components(masks: Tensor) -> Tensor:
    """Label 8-connected regions of each boolean mask in (K, H, W): 0 outside, one id per region.

    Every pixel starts with its own id; repeatedly each pixel takes the largest id among its
    3 x 3 neighbours in the same mask, until nothing changes. Then each region carries the id of
    one of its pixels. Plain tensor operations, so it runs on the GPU too.
    """
    k, h, w = masks.shape
    ids = torch.arange(1, k * h * w + 1, device=masks.device, dtype=torch.float32).view(k, 1, h, w)
    inside = masks[:, None].float()
    ids = ids * inside
    while True:
        grown = F.max_pool2d(ids, 3, stride=1, padding=1) * inside
        if torch.equal(grown, ids):
            return ids[:, 0].long()
        ids = grown


def boxes_from_mask(
    probs: Tensor, score_threshold: float = 0.3, iou_threshold: float = 0.5
) -> dict[str, Tensor]:
    """Per-pixel class probabilities (1 + C, H, W) of one image -> boxes, scores, labels."""
    classes = probs.shape[0] - 1
    winner = probs.argmax(0)
    masks = torch.stack([winner == c + 1 for c in range(classes)])  # (C, H, W)
    regions = connected_components(masks).flatten()  # ids are unique across classes too
    ys, xs = torch.meshgrid(
        torch.arange(probs.shape[1], device=probs.device),
        torch.arange(probs.shape[2], device=probs.device),
        indexing="ij",
    )
    inside = regions > 0
    ids, region = regions[inside].unique(return_inverse=True)
    n = len(ids)
    cls = (ids - 1) // (probs.shape[1] * probs.shape[2])  # which class mask the id came from
    x = xs.flatten().repeat(classes)[inside].float()
    y = ys.flatten().repeat(classes)[inside].float()
    p = probs[1:].flatten()[inside]  # probability of the region's own class at each pixel

    def reduce(values: Tensor, how: str) -> Tensor:
        init = torch.zeros(n, device=values.device)
        return init.scatter_reduce(0, region, values, how, include_self=False)

    area = torch.bincount(region, minlength=n).float()
    boxes = torch.stack(
        [reduce(x, "amin"), reduce(y, "amin"), reduce(x, "amax") + 1, reduce(y, "amax") + 1], dim=1
    )
    scores = reduce(p, "sum") / area.clamp(min=1)
    keep = (area >= MIN_AREA) & (scores >= score_threshold)
    boxes, scores, cls = boxes[keep], scores[keep], cls[keep]
    kept = batched_nms(boxes, scores, cls, iou_threshold)
    return {"boxes": boxes[kept], "scores": scores[kept], "labels": cls[kept]}


def build_model(num_classes: int, image_size: int = 128) -> UNet:
    return UNet(num_classes, image_size)
