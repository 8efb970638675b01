"""Small helpers for the map's text: a name or line as the model may see it, counts with their
nouns, the size of a block of lines, and a file's extension."""

from __future__ import annotations


def shown(text: str) -> str:
    """A name or line as the model may see it: one line, no controls (a file name may hold a newline)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else "?" for c in text)


def clip(text: str, width: int) -> str:
    """One line of at most `width` characters: a signature over several lines reads as one."""
    text = shown(" ".join(text.split()))
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def plural(count: int, noun: str) -> str:
    """`1 file`, `1,200 files`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def size(lines: list[str]) -> int:
    """Characters the lines take in the map, each with its newline."""
    return sum(len(line) + 1 for line in lines)


def ext(name: str) -> str:
    """`.py` of `pkg/mod.PY`, as posixpath.splitext (which is slower): `.bashrc` has no extension."""
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 and "/" not in name[dot:] else ""
