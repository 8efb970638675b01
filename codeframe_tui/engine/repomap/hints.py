"""The task's own words, which rank a file's symbols: a symbol the task names (`f1234`, `chunked`,
`Book`) comes first in its file's block, with its signature and line, and a neighbour defining one
comes before the other files of its folder.

A name matches a word of the task whole, as written; a word of four letters or more matches
whatever its case too ("the book" names `Book`). A method matches by its own name when the task
writes it alone or as `self.save` (`save` names every class's `save`), else only with its class
(`Book.save` names Book's, not Shelf's): one-letter methods would otherwise match everywhere.
"""

from __future__ import annotations

import re

from codeframe_tui.engine.repomap.symbols import Symbol

_CHAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_FOLD_MIN = 4  # shorter words match only as written: "a", "in", "x" are too common to fold
_SELF = frozenset({"self", "cls", "this"})
MAX_TEXT = 64 * 1024  # a task's text is short; a pasted log is read no further


class Hints:
    """The words of a task's text, for matching symbol names."""

    __slots__ = ("words", "alone", "pairs", "key")

    def __init__(self, text: str = "") -> None:
        words: set[str] = set()  # every word, for a top-level name
        alone: set[str] = set()  # words not after a dot (or after self.), for a method's own name
        pairs: set[str] = set()  # `Owner.name`, for a method with its class
        for chain in _CHAIN.findall((text or "")[:MAX_TEXT]):
            parts = chain.split(".")
            words.update(parts)
            alone.add(parts[0])
            for owner, name in zip(parts, parts[1:], strict=False):
                pairs.add(f"{owner}.{name}")
                if owner in _SELF:
                    alone.add(name)
        self.words = _Words(words)
        self.alone = _Words(alone)
        self.pairs = _Words(pairs)
        self.key: tuple[str, ...] = (*sorted(alone), "", *sorted(words - alone), "", *sorted(pairs))  # the cache's

    def __bool__(self) -> bool:
        return bool(self.words.exact)

    def names(self, symbol: Symbol) -> bool:
        """Whether the task names the symbol."""
        if not self.words.exact:
            return False
        owner, _, name = symbol.name.rpartition(".")
        if not owner or symbol.depth == 0:
            return self.words.has(name)
        return self.alone.has(name) or (self.words.has(name) and self.pairs.has(symbol.name))


class _Words:
    """Words as written, and folded (those of four letters or more)."""

    __slots__ = ("exact", "folded")

    def __init__(self, words: set[str]) -> None:
        self.exact = frozenset(words)
        self.folded = frozenset(w.lower() for w in words if len(w.rpartition(".")[2]) >= _FOLD_MIN)

    def has(self, word: str) -> bool:
        return word in self.exact or (len(word.rpartition(".")[2]) >= _FOLD_MIN and word.lower() in self.folded)
