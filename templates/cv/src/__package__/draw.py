"""Draw boxes, labels and scores on an image with Pillow (no fonts to download)."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from .boxes import Detection

# Distinct, readable colours; class k gets PALETTE[k % len(PALETTE)].
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324")


def colour_for(label: str, labels: Sequence[str] = ()) -> str:
    index = labels.index(label) if label in labels else sum(map(ord, label))
    return PALETTE[index % len(PALETTE)]


def draw_detections(
    image: Image.Image, detections: Sequence[Detection], labels: Sequence[str] = ()
) -> Image.Image:
    """A copy of ``image`` with each detection's box and "label 0.97" drawn on it.

    Line width and text size grow with the image, so boxes stay visible on large photos.
    """
    out = image.convert("RGB")  # always a copy, even of an RGB image: the input stays untouched
    draw = ImageDraw.Draw(out)
    scale = max(out.size) / 256
    width = max(1, round(2 * scale))
    font = ImageFont.load_default(size=max(10, round(11 * scale)))
    for det in sorted(detections, key=lambda d: d.score):  # the most confident drawn last, on top
        colour = colour_for(det.label, labels)
        x1, y1, x2, y2 = det.box
        draw.rectangle([x1, y1, x2, y2], outline=colour, width=width)
        text = f"{det.label} {det.score:.2f}"
        left, top, right, bottom = draw.textbbox((x1, y1), text, font=font)
        th = bottom - top
        # Text above the box when there is room, else inside its top edge.
        ty = y1 - th - 2 * width if y1 - th - 2 * width >= 0 else y1 + width
        draw.rectangle([x1, ty, x1 + (right - left) + 2 * width, ty + th + 2 * width], fill=colour)
        draw.text((x1 + width, ty + width - (top - y1)), text, fill="white", font=font)
    return out
