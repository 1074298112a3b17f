"""The documentation holds together: every relative link in README.md and docs/**/*.md points to
a file or folder of the repository (and a `#fragment` to a heading of the linked document), the
README stays a front page, and nothing points to a document outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
README_MAX_LINES = 150

# [text](target) and [text](target "title"), not images' sizes or code; reference-style links
# ([text]: target) too.
INLINE = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def _prose(text: str) -> str:
    """The text without fenced code blocks and code spans (a `[x](y)` there is not a link)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    prose = _prose(text)
    return INLINE.findall(prose) + REFERENCE.findall(prose)


def is_relative(target: str) -> bool:
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not target.startswith("//")


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower-case, punctuation dropped, spaces to hyphens."""
    out: set[str] = set()
    for line in _prose_lines(path.read_text(encoding="utf-8")):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            title = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower().replace("`", ""))
            base, n = title.replace(" ", "-"), 1
            slug = base
            while slug in out:
                slug, n = f"{base}-{n}", n + 1
            out.add(slug)
    return out


def _prose_lines(text: str) -> list[str]:
    return FENCE.sub("", text).splitlines()


def test_the_documents_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert {"README.md", "docs/README.md", "docs/domain.md", "docs/events.md", "docs/architecture.md"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(doc: Path):
    broken = []
    for target in links(doc.read_text(encoding="utf-8")):
        if not is_relative(target):
            continue
        path, _, fragment = target.partition("#")
        dest = (doc.parent / path).resolve() if path else doc
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif ROOT not in dest.parents and dest != ROOT:
            broken.append(f"{target}: outside the repository")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            broken.append(f"{target}: no heading #{fragment} in {dest.relative_to(ROOT)}")
    assert not broken, f"{doc.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move the detail into docs/"


# What code comments cite by name must exist where they say.
CITED_SECTIONS = {
    "docs/domain.md": ["Choices made explicit", "Live figures"],
    "docs/architecture.md": [
        "1. Events are the source of truth", "3. Offsets are committed only after the batch",
        "4. Reports read facts", "5. Working time", "7. Personal data never stored in clear",
        "Storage", "Broker", "Scale", "Measured",
    ],
}


@pytest.mark.parametrize("doc", sorted(CITED_SECTIONS))
def test_the_sections_the_code_cites_exist(doc: str):
    headings = [m.group(1) for m in re.finditer(r"^#{2,4}\s+(.*)$", (ROOT / doc).read_text(encoding="utf-8"), re.MULTILINE)]
    missing = [s for s in CITED_SECTIONS[doc] if not any(h.startswith(s) for h in headings)]
    assert not missing, f"{doc} lacks the sections {missing}"


# Written with character classes, so that this file does not match the same search itself.
OUTSIDE = re.compile(r"share[d]/|DOMAIN[.]md|ARCHITECTURE[.]md|EVENTS[.]md|issue [0-9]")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_document_points_outside_the_repository(doc: Path):
    hits = [line for line in doc.read_text(encoding="utf-8").splitlines() if OUTSIDE.search(line)]
    assert not hits, f"{doc.relative_to(ROOT)}: {hits[:3]}"
