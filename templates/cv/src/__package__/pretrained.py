"""torchvision's Faster R-CNN (MobileNetV3-Large FPN backbone, 320 px): a detector for real photos.

A two-stage detector: a region proposal network suggests boxes, a second head classifies and
refines each one. This is the lightest Faster R-CNN in torchvision (19M parameters; box mAP 22.8
on COCO val2017 with the COCO weights).

Weights: the model is always built with ``weights=None, weights_backbone=None`` so nothing is
downloaded at import, in tests or in training. ``make weights`` fetches the COCO weights once
(74 MB, checked against their published hash) into models/ and turns them into the checkpoint
``make serve`` uses, so the page then finds the 80 COCO object classes in real photos.
``make train`` fine-tunes from those weights when they are there (on the synthetic shapes or your
own ``--data``), and from random weights otherwise; it saves the result as the new checkpoint.

Licences: torchvision is BSD-3-Clause. The COCO weights were trained on COCO 2017, whose
annotations are CC BY 4.0 and whose images come from Flickr under their own terms; torchvision
says pretrained weights "may have their own licenses or terms and conditions derived from the
dataset used for training" and that checking them for your use is up to you.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn
from torchvision.models.detection import (
    FasterRCNN_MobileNet_V3_Large_320_FPN_Weights,
    fasterrcnn_mobilenet_v3_large_320_fpn,
)

MODEL_NAME = "pretrained"
WEIGHTS = FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.COCO_V1
WEIGHTS_FILE = Path(WEIGHTS.url).name  # kept under models/, next to the checkpoints
# torchvision's list: "__background__" first, then COCO's 90 ids (10 of them unused, "N/A").
COCO_CLASSES: list[str] = list(WEIGHTS.meta["categories"])[1:]


class PretrainedDetector(nn.Module):
    """Faster R-CNN behind the project's model interface (see models.py).

    torchvision numbers classes from 1 (0 is background); the interface numbers them from 0.
    """

    input_size = None  # it resizes images itself (shorter side to 320 pixels)

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.net = fasterrcnn_mobilenet_v3_large_320_fpn(
            weights=None, weights_backbone=None, num_classes=num_classes + 1
        )

    def train(self, mode: bool = True) -> PretrainedDetector:
        # Batch norm stays frozen (its running statistics are not updated), as torchvision does
        # for pretrained backbones: batches of a few images would give poor statistics.
        super().train(mode)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        return self

    def load_coco(self, model_dir: Path) -> str:
        """Start from the COCO weights when `make weights` fetched them; say what was used."""
        path = Path(model_dir) / WEIGHTS_FILE
        if not path.exists():
            return "random weights (run `make weights` first to fine-tune from COCO)"
        state = torch.load(path, map_location="cpu", weights_only=True)
        # Everything but the last classification layer, whose size depends on the classes.
        state = {k: v for k, v in state.items() if not k.startswith("roi_heads.box_predictor")}
        self.net.load_state_dict(state, strict=False)
        return f"COCO weights from {path}"

    def training_loss(self, images: Tensor, targets: list[dict[str, Tensor]]) -> dict[str, Tensor]:
        shifted = [{"boxes": t["boxes"], "labels": t["labels"] + 1} for t in targets]
        losses = self.net(list(images), shifted)  # loss_classifier, loss_box_reg, ...
        parts = {k.removeprefix("loss_"): v for k, v in losses.items()}
        return {"loss": sum(parts.values()), **parts}

    @torch.no_grad()
    def detect(self, images: Tensor, score_threshold: float = 0.3) -> list[dict[str, Tensor]]:
        outputs = self.net(list(images))
        return [
            {
                "boxes": o["boxes"][keep],
                "scores": o["scores"][keep],
                "labels": o["labels"][keep] - 1,
            }
            for o in outputs
            for keep in [o["scores"] >= score_threshold]
        ]


def build_model(num_classes: int, image_size: int = 128) -> PretrainedDetector:
    # image_size is part of the interface; Faster R-CNN resizes every image itself.
    return PretrainedDetector(num_classes)


def fetch_weights(model_dir: Path) -> Path:
    """`make weights`: download the COCO weights (once) and save them as the serving checkpoint.

    The only function in the project that uses the network.
    """
    from torch.hub import download_url_to_file

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / WEIGHTS_FILE
    if not path.exists():
        print(f"Downloading {WEIGHTS.url} ...")
        # The file name ends in the first hex digits of its SHA-256; a mismatch is an error.
        download_url_to_file(WEIGHTS.url, str(path), hash_prefix=path.stem.rsplit("-", 1)[-1])
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = build_model(len(COCO_CLASSES))
    model.net.load_state_dict(state)
    checkpoint = model_dir / "model.pt"
    torch.save(
        {
            "model": MODEL_NAME,
            "classes": COCO_CLASSES,
            "image_size": 320,
            "state_dict": model.state_dict(),
        },
        checkpoint,
    )
    print(f"Saved {path} and {checkpoint}: `make serve` now detects the COCO classes")
    return checkpoint
