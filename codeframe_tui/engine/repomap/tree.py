"""The file tree of the repository map: whole when it is small, else open only where the task is.

The folders on the task's paths are open from the start, listing only those paths. A small tree
(SMALL_TREE characters in all) then opens while the budget lasts, nearest the task's files first
(breadth first from the task's folders), until it is shown whole. A larger one opens no further
than is useful: the top level (a few dozen entries of each kind), the task's folders (a few
entries of each kind, more for a folder the task names) and the folders on their paths; every
other folder stays collapsed to one line (`docs/ (214 files: 180 .md, 34 .png)`) however much
budget is left. Each step is taken only if it fits. What an open folder leaves out is summed up in
`… N more` lines.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import TypeVar

from codeframe_tui.engine.repomap.text import ext, plural, shown, size

FOLDER_CAP = 40  # entries of each kind an open folder lists before the budget lets it list all
SMALL_TREE = 1000 * 4  # characters: a tree this small is shown whole (as far as the budget goes)
# How much an open folder lists, by level: only the entries on the task's paths, then at most 10 or
# FOLDER_CAP of each kind, then everything.
_CAPS = (0, 10, FOLDER_CAP, None)
_PINNED, _FULL = 0, len(_CAPS) - 1
_FEW, _MORE = 1, 2

T = TypeVar("T")


class Folder:
    """A folder of the listing: its own files and subfolders, and counts of all it holds."""

    __slots__ = ("path", "name", "depth", "folders", "files", "count", "exts", "_label")

    def __init__(self, path: str, depth: int) -> None:
        self.path = path
        self.name = path.rpartition("/")[2]
        self.depth = depth
        self.folders: dict[str, Folder] = {}
        self.files: list[str] = []
        self.count = 0  # files inside, at any depth
        self.exts: Counter[str] = Counter()
        self._label = ""

    def label(self) -> str:
        """The folder collapsed: `docs/ (214 files: 180 .md, 34 .png)`."""
        if not self._label:
            self._label = f"{shown(self.name)}/ ({summary(self.count, self.exts)})"
        return self._label


def build_tree(files: list[str]) -> dict[str, Folder]:
    """Every folder of the (sorted) paths by its path, the root as ""."""
    folders: dict[str, Folder] = {"": Folder("", 0)}

    def folder(path: str) -> Folder:
        found = folders.get(path)
        if found is None:
            parent = folder(path.rpartition("/")[0])
            found = folders[path] = Folder(path, parent.depth + 1)
            parent.folders[found.name] = found
        return found

    for rel in files:
        parent_path, _, name = rel.rpartition("/")
        folder(parent_path).files.append(name)
    # Counts bottom up: each folder's own files, then what its subfolders hold.
    for node in sorted(folders.values(), key=lambda f: -f.depth):
        node.count += len(node.files)
        node.exts.update(ext(n) for n in node.files)
        if node.path:
            parent = folders[node.path.rpartition("/")[0]]
            parent.count += node.count
            parent.exts.update(node.exts)
    return folders


def summary(count: int, exts: Counter[str], counted: bool = True) -> str:
    """`214 files: 180 .md, 34 .png` (the three commonest kinds, then the rest as other)."""
    top = [(e, n) for e, n in sorted(exts.items(), key=lambda kv: (-kv[1], kv[0])) if e][:3]
    parts = [f"{n:,} {e}" for e, n in top]
    rest = count - sum(n for _, n in top)
    if rest:
        parts.append(f"{rest:,} other")
    kinds = ", ".join(parts)
    return f"{plural(count, 'file')}: {kinds}" if counted else kinds


class Tree:
    """The tree's lines, and how far each folder is open (`level`: a folder absent is collapsed)."""

    def __init__(self, folders: dict[str, Folder], focus: list[str], focus_folders: list[str]) -> None:
        self.folders = folders
        self.pinned: set[str] = set(focus) | set(focus_folders)  # paths always listed
        for rel in [*focus, *focus_folders]:
            parts = rel.split("/")
            self.pinned.update("/".join(parts[:i]) for i in range(len(parts)))
        self.sources = list(dict.fromkeys([*(f.rpartition("/")[0] for f in focus), *focus_folders])) or [""]
        # Open whatever the budget: the root and the task's paths.
        self.level: dict[str, int] = dict.fromkeys(["", *(p for p in self.pinned if p in folders)], _PINNED)

    def _split(self, items: list[T], paths: list[str], cap: int) -> tuple[list[T], list[T]]:
        """The items an open folder lists (every pinned one, and the first others up to `cap` in
        all) and those it leaves out, each in order."""
        room = cap - sum(p in self.pinned for p in paths)
        kept: list[T] = []
        left: list[T] = []
        for item, path in zip(items, paths, strict=True):
            if path in self.pinned:
                kept.append(item)
            elif room > 0:
                kept.append(item)
                room -= 1
            else:
                left.append(item)
        return kept, left

    def _entries(self, node: Folder, level: int) -> tuple[list[Folder], list[str], list[Folder], list[str]]:
        """The subfolders and files an open folder lists at `level`, and those it leaves out."""
        subs = [node.folders[k] for k in sorted(node.folders)]
        cap = _CAPS[level]
        if cap is None:
            return subs, node.files, [], []
        prefix = f"{node.path}/" if node.path else ""
        kept_subs, more_subs = self._split(subs, [s.path for s in subs], cap)
        kept_files, more_files = self._split(node.files, [prefix + n for n in node.files], cap)
        return kept_subs, kept_files, more_subs, more_files

    def lines(self, node: Folder, level: int | None = None, nested: bool = True) -> list[str]:
        """The lines of an open folder's entries at `level` (its own unless given), its subfolders
        open as decided, or all collapsed when not `nested`."""
        subs, files, more_subs, more_files = self._entries(node, self.level[node.path] if level is None else level)
        pad = "  " * (node.depth + 1)
        out: list[str] = []
        for sub in subs:
            if nested and sub.path in self.level:
                out.append(f"{pad}{shown(sub.name)}/")
                out.extend(self.lines(sub))
            else:
                out.append(f"{pad}{sub.label()}")
        out.extend(f"{pad}{shown(n)}" for n in files)
        if more_subs:
            exts: Counter[str] = Counter()
            for sub in more_subs:
                exts.update(sub.exts)
            out.append(f"{pad}… {plural(len(more_subs), 'more folder')} "
                       f"({summary(sum(s.count for s in more_subs), exts)})")
        if more_files:
            exts = Counter(ext(n) for n in more_files)
            out.append(f"{pad}… {plural(len(more_files), 'more file')} "
                       f"({summary(len(more_files), exts, counted=False)})")
        return out

    def size(self) -> int:
        return size(self.lines(self.folders[""]))

    def _cost(self, node: Folder, level: int) -> int:
        """Characters an open folder's own entry lines take at `level`, its subfolders collapsed."""
        return size(self.lines(node, level, nested=False))

    def full_size(self, limit: int) -> int:
        """Characters the whole tree takes, every folder open, or more than `limit` once it is over."""
        total = 0
        for node in self.folders.values():
            pad = 2 * (node.depth + 1) + 1  # indentation and newline
            total += sum(pad + len(shown(n)) for n in node.files)
            total += sum(pad + len(shown(n)) + 1 for n in node.folders)
            if total > limit:
                break
        return total

    def is_small(self) -> bool:
        return self.full_size(SMALL_TREE) <= SMALL_TREE

    def open_near(self, room: int, focus: list[str], focus_folders: list[str]) -> None:
        """A large tree: open the top level, the task's folders and those on their paths, a step at
        a time while each fits in `room` characters; nothing else."""
        own = [f.rpartition("/")[0] for f in focus]
        on_paths = sorted((p for p in self.level if p and p not in own and p not in focus_folders),
                          key=lambda p: (-p.count("/"), p))  # nearest the task's files first
        steps = [("", _MORE), *((p, _FEW) for p in own), *((p, _MORE) for p in focus_folders),
                 *((p, _FEW) for p in on_paths)]
        for path, target in steps:
            if path not in self.level:
                continue
            node = self.folders[path]
            for level in range(self.level[path] + 1, target + 1):
                cost = self._cost(node, level) - self._cost(node, self.level[path])
                if cost > room:
                    break
                self.level[path] = level
                room -= cost

    def grow(self, room: int) -> None:
        """A small tree: open more while it fits in `room` characters, nearest the task's files first."""
        seen = set(self.sources)
        queue = deque(self.sources)
        while queue:
            path = queue.popleft()
            node = self.folders[path]
            parent = path.rpartition("/")[0] if path else None
            if path not in self.level:
                # Listed by its parent, it opens straight to a few entries: a folder that lists only the
                # task's paths and has none of them says less than its collapsed line.
                if parent in self.level and node in self._entries(self.folders[parent], self.level[parent])[0]:
                    cost = self._cost(node, _PINNED + 1) - (len(node.label()) - len(shown(node.name)) - 1)
                    if cost <= room:
                        self.level[path] = _PINNED + 1
                        room -= cost
            if path in self.level:
                for level in range(self.level[path] + 1, _FULL + 1):
                    cost = self._cost(node, level) - self._cost(node, self.level[path])
                    if cost > room:
                        break
                    self.level[path] = level
                    room -= cost
            for nxt in ([parent] if parent is not None else []) + [node.folders[k].path for k in sorted(node.folders)]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)

    def collapsed(self) -> bool:
        """Whether anything is left out of the tree: a folder collapsed, or one listing only part."""
        for path, node in self.folders.items():
            level = self.level.get(path)
            if level is None:
                return True
            if level < _FULL:
                _, _, more_subs, more_files = self._entries(node, level)
                if more_subs or more_files:
                    return True
        return False
