"""Write one section of a results page, keeping the others (each harness owns a section)."""

from __future__ import annotations

from pathlib import Path


def write_section(path: Path, title: str, heading: str, body: str) -> None:
    """Replace the ``## heading`` section of the Markdown page at ``path`` with ``body``.

    The page starts with ``# title``; other ``##`` sections stay as they are, in their order, and
    a new section goes at the end.
    """
    sections: list[tuple[str, str]] = []
    if path.exists():
        current, lines = None, []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                if current is not None:
                    sections.append((current, "\n".join(lines).strip()))
                current, lines = line[3:].strip(), []
            elif current is not None:
                lines.append(line)
        if current is not None:
            sections.append((current, "\n".join(lines).strip()))
    replaced = [(name, body.strip() if name == heading else text) for name, text in sections]
    if heading not in (name for name, _ in sections):
        replaced.append((heading, body.strip()))
    page = f"# {title}\n\n" + "\n\n".join(f"## {name}\n\n{text}" for name, text in replaced)
    path.write_text(page + "\n", encoding="utf-8")
