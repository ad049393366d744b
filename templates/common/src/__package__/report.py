"""`make report`: the README's results section, filled from this project's own latest run.

`make train` ends by writing `reports/results.json` (the numbers, the figures it drew into
`reports/figures/`, the run id, when, on what hardware, from which commit) and then runs this
module, which rewrites the part of README.md between the results markers, and the same part of
the model card and the blog-post draft in docs/. Nothing else in those files is touched, and the
same results file always gives the same bytes, so the diff of a retrained project shows exactly
what changed.

`reports/` is tracked by git: commit it with the README, and the repository shows your numbers
and pictures on GitHub.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPORTS_DIR = Path(os.environ.get("REPORTS_DIR", "reports"))
RESULTS_FILE = "results.json"
README = Path("README.md")
# The documents in docs/ that show the results too (their figures are one folder up).
DOCUMENTS = (Path("docs/model-card.md"), Path("docs/blog-post.md"))
START, END = "<!-- results:start -->", "<!-- results:end -->"
BADGE_START, BADGE_END = "<!-- badge:start -->", "<!-- badge:end -->"


@dataclass
class Results:
    """What one training run found, as the README shows it."""

    headline: str  # one sentence: the result against the baseline or the bound
    columns: list[str]
    rows: list[list[str]]  # already formatted, one per model or metric
    figures: dict[str, str] = field(default_factory=dict)  # file in reports/figures -> caption
    notes: list[str] = field(default_factory=list)  # sentences under the table
    sample: list[str] = field(default_factory=list)  # lines of a sample exchange, shown as text
    sample_caption: str = ""
    run_id: str = ""
    finished_at: str = ""  # UTC, ISO 8601
    seconds: float = 0.0
    hardware: str = ""
    commit: str | None = None
    python: str = field(default_factory=platform.python_version)


def hardware(device: str = "cpu") -> str:
    """The machine the run used: the GPU's name when it trained on one, else the CPU model."""
    if device.startswith("cuda"):
        import torch

        return f"{torch.cuda.get_device_name(0)} (GPU)"
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass  # not Linux: platform.processor() is the best there is
    return f"{model}, {os.cpu_count()} CPU threads"


def git(*args: str) -> str | None:
    """`git <args>` in the current folder, or None outside a repository or without git."""
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def save(results: Results, reports_dir: Path = REPORTS_DIR) -> Path:
    """Write results.json, filling in when, where and from which commit the run happened."""
    results.finished_at = results.finished_at or datetime.now(timezone.utc).isoformat(
        timespec="seconds"
    )
    results.hardware = results.hardware or hardware()
    results.commit = results.commit or git("rev-parse", "--short=10", "HEAD")
    path = Path(reports_dir) / RESULTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(results), indent=2) + "\n", encoding="utf-8")
    return path


def load(reports_dir: Path = REPORTS_DIR) -> Results:
    path = Path(reports_dir) / RESULTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist yet: run `make train` first")
    return Results(**json.loads(path.read_text(encoding="utf-8")))


def render(results: Results, reports_dir: Path = REPORTS_DIR, up: str = "") -> str:
    """The results section's Markdown: a pure function of the results file.

    ``up`` leads every figure's path, for a document in a subfolder ("../" from docs/).
    """
    run = f"run `{results.run_id}`" if results.run_id else "not tracked"
    commit = f"commit `{results.commit}`" if results.commit else "not yet in a git repository"
    lines = [
        f"From `make train` on {results.finished_at[:10]} ({run}, {commit}):"
        f" {results.seconds:.0f} s on {results.hardware}, Python {results.python}.",
        "",
        f"**{results.headline}**",
        "",
        "| " + " | ".join(results.columns) + " |",
        "| " + " | ".join("---" for _ in results.columns) + " |",
        *("| " + " | ".join(row) + " |" for row in results.rows),
    ]
    if results.notes:
        lines += ["", " ".join(results.notes)]
    if results.sample:
        lines += ["", f"{results.sample_caption}:", "", "```text", *results.sample, "```"]
    for name, caption in results.figures.items():
        lines += ["", f"![{caption}]({up}{(Path(reports_dir) / 'figures' / name).as_posix()})"]
    lines += [
        "",
        f"`make train` rewrites this section from `{Path(reports_dir).as_posix()}/{RESULTS_FILE}`;"
        " `make report` does it again without training.",
    ]
    return "\n".join(lines)


def github_repository(remote: str | None) -> str | None:
    """`owner/name` from a GitHub remote URL (https or ssh), else None."""
    match = re.search(r"github\.com[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", remote or "")
    return f"{match[1]}/{match[2]}" if match else None


def badge(repository: str | None) -> str:
    """The CI status badge, when the project has a CI workflow and knows its GitHub repository."""
    if not repository or not Path(".github/workflows/ci.yml").is_file():
        return ""
    url = f"https://github.com/{repository}/actions/workflows/ci.yml"
    return f"[![CI]({url}/badge.svg)]({url})"


def replace_between(text: str, start: str, end: str, body: str) -> str:
    """`text` with what lies between the `start` and `end` markers replaced by `body`."""
    head, found, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found or not found_end:
        raise ValueError(f"the README has lost its {start} ... {end} markers; put them back")
    return f"{head}{start}\n{body}\n{end}{tail}" if body else f"{head}{start}{end}{tail}"


def update_readme(readme: Path = README, reports_dir: Path = REPORTS_DIR) -> bool:
    """Rewrite the README's results section (and CI badge). True if the file changed."""
    text = readme.read_text(encoding="utf-8")
    new = replace_between(text, START, END, render(load(reports_dir), reports_dir))
    if BADGE_START in text:
        repository = github_repository(git("remote", "get-url", "origin"))
        new = replace_between(new, BADGE_START, BADGE_END, badge(repository))
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


def update_document(path: Path, reports_dir: Path = REPORTS_DIR) -> bool:
    """Rewrite the results section of a document in docs/. True if the file changed."""
    text = path.read_text(encoding="utf-8")
    new = replace_between(text, START, END, render(load(reports_dir), reports_dir, up="../"))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main() -> int:
    try:
        changed = update_readme()
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{README}: results section {'updated' if changed else 'already up to date'}")
    for document in DOCUMENTS:
        if not document.is_file():
            continue  # deleted on purpose: nothing to fill
        try:
            changed = update_document(document)
        except ValueError as error:
            # A draft the user has rewritten without the markers is theirs: leave it.
            print(f"{document}: left as it is ({error})")
            continue
        print(f"{document}: results section {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
