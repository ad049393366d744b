"""Training data: synthetic shapes made on the fly, or your own images with boxes.

Synthetic shapes: every image has a random background (flat colour, gradient, clutter of thin
lines and dots, pixel noise) and 1 to 5 shapes of four classes in random colours and sizes,
allowed to overlap a little. The same seed always gives the same images, so runs are
repeatable and nothing has to be downloaded.

Your own data, resized to a square of ``size`` pixels on loading:
- YOLO txt: ``images/*.jpg|png`` and ``labels/<same stem>.txt`` with one line per object,
  ``class cx cy w h`` relative to the image size; class names in ``classes.txt`` (one a line) or
  the ``names:`` list of ``data.yaml``.
- COCO json: one annotation file with ``images``, ``annotations`` (``bbox`` = x, y, w, h in
  pixels) and ``categories``; image files in a folder beside it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "cross")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


@dataclass
class Sample:
    """One image with its objects."""

    image: np.ndarray  # (H, W, 3) uint8
    boxes: np.ndarray  # (N, 4) float32, x1 y1 x2 y2 in pixels
    labels: np.ndarray  # (N,) int64, indices into the class list
    # (H, W) uint8: 0 background, k + 1 for class k; what the U-Net learns. Shapes drawn later
    # cover earlier ones, as in the image. For boxes-only data it is the filled boxes.
    mask: np.ndarray


# --- synthetic shapes ------------------------------------------------------------------------


def _random_colour(rng: np.random.Generator, avoid: np.ndarray, min_distance: float = 120.0):
    """A colour at least ``min_distance`` away (RGB) from ``avoid``, so every shape is visible."""
    for _ in range(100):
        colour = rng.integers(0, 256, size=3)
        if np.linalg.norm(colour - avoid) >= min_distance:
            return tuple(int(c) for c in colour)
    return tuple(int(c) for c in 255 - avoid)


def _polygon(kind: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    """Vertices of a square, triangle or cross of "radius" ``r`` turned by ``angle`` radians."""
    if kind == "square":
        points = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
        scale = r / math.sqrt(2) * 1.25
    elif kind == "triangle":
        points = [(math.cos(a), math.sin(a)) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
        scale = r
    else:  # cross: a plus sign with arms a third of its width
        t = 1 / 3
        points = [(-t, -1), (t, -1), (t, -t), (1, -t), (1, t), (t, t)]
        points += [(t, 1), (-t, 1), (-t, t), (-1, t), (-1, -t), (-t, -t)]
        scale = r
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + scale * (x * cos - y * sin), cy + scale * (x * sin + y * cos)) for x, y in points]


def _background(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A flat colour or a linear gradient between two colours: ((size, size, 3) float image,
    its mean colour). The mean is exact without summing 16k pixels: a ramp from 0 to 1 averages
    0.5."""
    a = rng.integers(0, 256, size=3).astype(np.float32)
    if rng.random() < 0.5:
        return np.broadcast_to(a, (size, size, 3)).copy(), a
    b = rng.integers(0, 256, size=3).astype(np.float32)
    t = np.linspace(0, 1, size, dtype=np.float32)
    ramp = t[None, :, None] if rng.random() < 0.5 else t[:, None, None]
    return a + (b - a) * np.broadcast_to(ramp, (size, size, 1)), (a + b) / 2


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def make_shapes_sample(
    rng: np.random.Generator,
    size: int = 128,
    max_objects: int = 5,
    min_radius: float = 7.0,
    max_radius: float = 20.0,
    max_overlap: float = 0.2,
) -> Sample:
    """One synthetic image: background, clutter, 1..max_objects shapes, noise."""
    base, mean_bg = _background(rng, size)
    canvas = Image.fromarray(base.clip(0, 255).astype(np.uint8))
    mask = Image.new("L", (size, size), 0)
    draw, draw_mask = ImageDraw.Draw(canvas), ImageDraw.Draw(mask)

    # Clutter: thin lines and small dots that are not objects; the model must learn to ignore them.
    for _ in range(int(rng.integers(2, 9))):
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        if rng.random() < 0.5:
            x0, y0, x1, y1 = (float(v) for v in rng.uniform(0, size, size=4))
            draw.line([(x0, y0), (x1, y1)], fill=colour, width=1)
        else:
            x, y = (float(v) for v in rng.uniform(0, size, size=2))
            r = float(rng.uniform(1, 2.5))
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)

    boxes: list[list[float]] = []
    labels: list[int] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        for _attempt in range(20):  # find a spot that does not overlap the others too much
            label = int(rng.integers(len(CLASSES)))
            r = float(rng.uniform(min_radius, max_radius))
            cx, cy = (float(v) for v in rng.uniform(r, size - r, size=2))
            kind = CLASSES[label]
            if kind == "circle":
                points = None
                box = [cx - r, cy - r, cx + r, cy + r]
            else:
                points = _polygon(kind, cx, cy, r, float(rng.uniform(-math.pi / 8, math.pi / 8)))
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                box = [min(xs), min(ys), max(xs), max(ys)]
            box = [max(0.0, box[0]), max(0.0, box[1]), min(size, box[2]), min(size, box[3])]
            if all(_iou(box, other) <= max_overlap for other in boxes):
                break
        else:
            continue
        colour = _random_colour(rng, mean_bg)
        if points is None:
            draw.ellipse(box, fill=colour)
            draw_mask.ellipse(box, fill=label + 1)
        else:
            draw.polygon(points, fill=colour)
            draw_mask.polygon(points, fill=label + 1)
        boxes.append(box)
        labels.append(label)

    image = np.asarray(canvas, dtype=np.float32)
    # Pixel noise, drawn in float32 directly: twice as fast as float64 and then converting.
    image += rng.standard_normal(image.shape, dtype=np.float32) * np.float32(rng.uniform(2, 12))
    return Sample(
        image=image.clip(0, 255).astype(np.uint8),
        boxes=np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        labels=np.asarray(labels, dtype=np.int64),
        mask=np.array(mask, dtype=np.uint8),  # a writable copy, as torch wants
    )


def synthetic_shapes(n: int, seed: int, size: int = 128) -> list[Sample]:
    """``n`` synthetic samples; the same ``seed`` gives the same images."""
    rng = np.random.default_rng(seed)
    return [make_shapes_sample(rng, size) for _ in range(n)]


def synthetic_batches(batch_size: int, seed: int, size: int = 128) -> Iterator[list[Sample]]:
    """Endless batches of new synthetic samples: no image is ever shown twice, so the model
    cannot memorise its training set. The same ``seed`` gives the same batches."""
    rng = np.random.default_rng(seed)
    while True:
        yield [make_shapes_sample(rng, size) for _ in range(batch_size)]


# --- your own data ---------------------------------------------------------------------------


def _box_mask(boxes: np.ndarray, labels: np.ndarray, size: int) -> np.ndarray:
    """A segmentation target for boxes-only data: each box filled with its class."""
    mask = np.zeros((size, size), dtype=np.uint8)
    order = np.argsort(-(boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    for i in order:  # largest first, so small boxes stay visible on top
        x1, y1, x2, y2 = (round(v) for v in boxes[i])
        mask[max(y1, 0) : max(y2, 0), max(x1, 0) : max(x2, 0)] = labels[i] + 1
    return mask


def _resized(path: Path, boxes: np.ndarray, labels: np.ndarray, size: int) -> Sample:
    """Load an image, stretch it to ``size`` x ``size`` and scale its pixel boxes to match."""
    with Image.open(path) as img:
        width, height = img.size
        image = np.array(img.convert("RGB").resize((size, size), Image.Resampling.BILINEAR))
    boxes = boxes.astype(np.float32).reshape(-1, 4) * np.array(
        [size / width, size / height, size / width, size / height], dtype=np.float32
    )
    labels = labels.astype(np.int64)
    return Sample(image, boxes, labels, _box_mask(boxes, labels, size))


def _yolo_class_names(root: Path) -> list[str]:
    classes_txt = root / "classes.txt"
    if classes_txt.exists():
        return [
            line.strip() for line in classes_txt.read_text("utf-8").splitlines() if line.strip()
        ]
    data_yaml = root / "data.yaml"
    if data_yaml.exists():
        # Only the one-line form `names: [a, b]` or `names: ['a', 'b']`; no YAML library needed.
        match = re.search(r"^names:\s*\[(.*)\]\s*$", data_yaml.read_text("utf-8"), re.MULTILINE)
        if match:
            return [name.strip().strip("'\"") for name in match.group(1).split(",") if name.strip()]
    raise FileNotFoundError(f"{root} needs classes.txt (one class name a line) or data.yaml")


def load_yolo(root: str | Path, size: int = 128) -> tuple[list[Sample], list[str]]:
    """A YOLO-format folder: images/, labels/ and classes.txt (or data.yaml ``names: [...]``)."""
    root = Path(root)
    classes = _yolo_class_names(root)
    samples = []
    images = sorted(p for p in (root / "images").glob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not images:
        raise FileNotFoundError(f"no images in {root / 'images'}")
    for path in images:
        label_file = root / "labels" / f"{path.stem}.txt"
        rows = []
        if label_file.exists():
            rows = [line.split() for line in label_file.read_text("utf-8").splitlines()]
        rows = [row for row in rows if len(row) == 5]
        table = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
        labels = table[:, 0].astype(np.int64)
        if (labels < 0).any() or (labels >= len(classes)).any():
            raise ValueError(f"{label_file}: class index outside 0..{len(classes) - 1}")
        with Image.open(path) as img:
            width, height = img.size
        cx, cy, w, h = (table[:, i] for i in range(1, 5))
        boxes = np.stack(
            [
                (cx - w / 2) * width,
                (cy - h / 2) * height,
                (cx + w / 2) * width,
                (cy + h / 2) * height,
            ],
            axis=1,
        )
        samples.append(_resized(path, boxes, labels, size))
    return samples, classes


def load_coco(annotation_file: str | Path, image_dir: str | Path | None = None, size: int = 128):
    """A COCO-format detection file; images are looked up in ``image_dir`` (default: beside it)."""
    annotation_file = Path(annotation_file)
    image_dir = Path(image_dir) if image_dir else annotation_file.parent
    coco = json.loads(annotation_file.read_text("utf-8"))
    categories = sorted(coco["categories"], key=lambda c: c["id"])
    index_of = {c["id"]: i for i, c in enumerate(categories)}
    by_image: dict[int, list[dict]] = {}
    for ann in coco["annotations"]:
        if not ann.get("iscrowd", 0):
            by_image.setdefault(ann["image_id"], []).append(ann)
    samples = []
    for info in sorted(coco["images"], key=lambda i: i["id"]):
        anns = by_image.get(info["id"], [])
        boxes = np.asarray(
            [[x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in anns)], dtype=np.float64
        ).reshape(-1, 4)
        labels = np.asarray([index_of[a["category_id"]] for a in anns], dtype=np.int64)
        samples.append(_resized(image_dir / info["file_name"], boxes, labels, size))
    return samples, [c["name"] for c in categories]


def load_dataset(spec: str, size: int = 128) -> tuple[list[Sample], list[str]]:
    """``yolo:FOLDER`` or ``coco:FILE.json`` (what ``train --data`` accepts)."""
    kind, _, path = spec.partition(":")
    if kind == "yolo" and path:
        return load_yolo(path, size)
    if kind == "coco" and path:
        return load_coco(path, size=size)
    raise ValueError(f"--data must be yolo:FOLDER or coco:FILE.json; got {spec!r}")
