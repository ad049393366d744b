"""Load a trained model and find objects in any image (what `serve` and `evaluate` use)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from . import config
from .boxes import Detection, nms, scale_boxes
from .models import MODEL_NAME, build_model

CHECKPOINT_FILE = "model.pt"
# Boxes of different classes overlapping more than this are one object (see Predictor.predict).
AGNOSTIC_IOU = 0.7


def load_checkpoint(path: Path, device: torch.device | str = "cpu"):
    """(model in eval mode, class names, checkpoint dict) from a file `make train` saved.

    ``weights_only=True``: the file may hold only tensors and plain values, so loading a
    checkpoint from someone else cannot run code (a pickle can).
    """
    if not Path(path).exists():
        raise FileNotFoundError(f"no trained model at {path}: run `make train` first")
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    if checkpoint.get("model") != MODEL_NAME:
        raise ValueError(f"{path} holds a {checkpoint.get('model')!r} model, not {MODEL_NAME!r}")
    classes = list(checkpoint["classes"])
    model = build_model(len(classes), int(checkpoint["image_size"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval(), classes, checkpoint


def detections_from(result: dict[str, torch.Tensor], classes: list[str], scale: float = 1.0):
    """A model's tensors for one image -> Detection records, best score first."""
    order = result["scores"].argsort(descending=True)
    return [
        Detection(
            box=tuple(float(v) * scale for v in result["boxes"][i].tolist()),
            label=classes[int(result["labels"][i])],
            score=float(result["scores"][i]),
        )
        for i in order.tolist()
    ]


class Predictor:
    """A trained model plus what it needs to answer for an image of any size."""

    def __init__(self, model: torch.nn.Module, classes: list[str], origin: str) -> None:
        self.model = model.eval()
        self.classes = classes
        self.origin = origin  # where the weights came from, shown by /health
        self.device = next(model.parameters()).device

    @classmethod
    def load(cls, path: Path) -> Predictor:
        device = "cuda" if torch.cuda.is_available() else "cpu"
        model, classes, _ = load_checkpoint(path, device)
        return cls(model, classes, f"loaded from {path}")

    def predict(
        self, image: Image.Image, score_threshold: float = config.SCORE_THRESHOLD
    ) -> list[Detection]:
        """Objects in ``image`` with boxes in its own pixel coordinates."""
        rgb = image.convert("RGB")
        size = getattr(self.model, "input_size", None)
        # Models trained on fixed squares see the image stretched to that square; the boxes are
        # scaled back to the original afterwards.
        model_input = rgb.resize((size, size), Image.Resampling.BILINEAR) if size else rgb
        array = np.asarray(model_input, dtype=np.float32) / 255
        tensor = torch.from_numpy(array).permute(2, 0, 1)[None].to(self.device)
        with torch.no_grad():
            result = self.model.detect(tensor, score_threshold=score_threshold)[0]
        result = {k: v.cpu() for k, v in result.items()}
        # One object, one label: where boxes of different classes cover the same object (a
        # circle 0.66 and a square 0.30 on one shape), keep the best. mAP is measured before this.
        keep = nms(result["boxes"], result["scores"], AGNOSTIC_IOU)
        result = {k: v[keep] for k, v in result.items()}
        if size:
            result["boxes"] = scale_boxes(result["boxes"], (size, size), rgb.size)
        width, height = rgb.size
        result["boxes"] = torch.stack(
            [
                result["boxes"][:, 0].clamp(0, width),
                result["boxes"][:, 1].clamp(0, height),
                result["boxes"][:, 2].clamp(0, width),
                result["boxes"][:, 3].clamp(0, height),
            ],
            dim=1,
        ).reshape(-1, 4)
        return detections_from(result, self.classes)
