"""A generated project's README as a browser shows it: for docs/readme-<kind>.png.

    python scripts/readme-screenshot.py PROJECT_DIR OUT.png

Renders README.md, from its title to the end of its results section (what a hiring lead reads
first), with Python-Markdown in a plain GitHub-like style, and takes a screenshot with headless
Chromium (pip install markdown pillow; Debian's chromium). Run it after the project's `make train`, so
the README holds that run's results and figures. GitHub's own rendering differs in detail and
draws the Mermaid diagram, which this one shows as its source.
"""

from __future__ import annotations

import html
import subprocess
import sys
import tempfile
from pathlib import Path

import markdown
from PIL import Image, ImageChops

STYLE = """
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328;
       max-width: 880px; margin: 24px auto; padding: 0 24px; }
h1, h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
code, pre { font: 13px ui-monospace, Menlo, Consolas, monospace; background: #f6f8fa; }
pre { padding: 12px; overflow: auto; border-radius: 6px; }
table { border-collapse: collapse; } td, th { border: 1px solid #d1d9e0; padding: 4px 10px; }
img { max-width: 100%; }
"""


def main(project: Path, out: Path) -> int:
    text = (project / "README.md").read_text(encoding="utf-8")
    head, end, rest = text.partition("<!-- results:end -->")
    text = head + end + rest.split("\n## ", 1)[0]  # up to the next section
    body = markdown.markdown(text, extensions=["tables", "fenced_code"])
    page = f"<!doctype html><meta charset=utf-8><title>{html.escape(project.name)}</title>"
    page += f"<style>{STYLE}</style>{body}"
    with tempfile.NamedTemporaryFile("w", suffix=".html", dir=project, delete=False) as file:
        file.write(page)  # in the project, so the README's relative image paths resolve
    try:
        # Chromium's --screenshot captures the window, not the page: a tall one, cropped below.
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--screenshot={out.resolve()}", "--window-size=960,8000",
             Path(file.name).resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )
    finally:
        Path(file.name).unlink()
    with Image.open(out) as shot:
        page = shot.convert("RGB")
    # Crop the empty window below the page (plus a margin).
    box = ImageChops.difference(page, Image.new("RGB", page.size, "white")).getbbox()
    if box:
        page.crop((0, 0, page.width, min(page.height, box[3] + 24))).save(out, optimize=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
