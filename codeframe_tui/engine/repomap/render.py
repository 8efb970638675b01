"""The repository map's text within its budget (len(text) // 4 tokens): a header, the tree, the
symbols of the task's files and then of their neighbours, and closing notes.

The budget is a cap, not a target. Each file's symbols are capped (FOCUS for a task's file,
NEIGHBOUR for the others, and all the neighbours together at NEIGHBOURS_CHARS): those the task's
text names come first with their signatures, then the rest in full when they fit the caps, else
by name and line as far as the caps go, and a closing line says how many are not listed, where
they are, and how to find them. The tree then opens where the task is (tree.py), within what is
left. Whatever is left out is said.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeframe_tui.engine.repomap.hints import Hints
from codeframe_tui.engine.repomap.plan import Plan, ranked_neighbours
from codeframe_tui.engine.repomap.symbols import PYTHON_EXTS, SOURCE_EXTS, FileSymbols, Symbol
from codeframe_tui.engine.repomap.text import clip, ext, plural, shown, size
from codeframe_tui.engine.repomap.tree import Tree

LINE_WIDTH = 100  # a symbol line, indentation and line number included
_FOCUS_TITLE = "Symbols of the task's files:"
_NEIGHBOUR_TITLE = "Symbols of their neighbours (tests, imports, the same folders):"


@dataclass(frozen=True)
class Caps:
    names: int  # symbols listed (besides those the task names)
    chars: int  # the block's characters (those the task names are kept beyond it, room allowing)
    named: int  # symbols the task names, listed first with their signatures
    min_names: int  # fewer than this many listed (where there are more) and the block is left out


# A task's file: about 150 names or 800 tokens, whichever is less (a 150 KB module gives ~450 tokens).
FOCUS = Caps(names=150, chars=800 * 4, named=20, min_names=0)
NEIGHBOUR = Caps(names=30, chars=150 * 4, named=5, min_names=10)
NEIGHBOURS_CHARS = 600 * 4  # all the neighbours' blocks together


def render(plan: Plan, budget_tokens: int) -> str:
    budget = max(0, budget_tokens) * 4
    header = [f"Repository map: {len(plan.files):,} files (the tree first, then symbols with line numbers).",
              "Files:" if plan.files else "Files: (none)"]
    tree = Tree(plan.folders, plan.focus, plan.focus_folders)
    neighbours = ranked_neighbours(plan)
    # Symbols first, in what the header and the tree's pinned paths leave, keeping room for the notes
    # at their longest; then the tree opens into the rest, as far as is useful.
    small = tree.is_small()
    longest_notes = size(_notes(plan, True, small, len(plan.focus), len(neighbours)))
    room = budget - size(header) - tree.size() - longest_notes
    focus_lines, room, focus_left_out = _symbols(plan, plan.focus, _FOCUS_TITLE, room, FOCUS)
    share = min(room, NEIGHBOURS_CHARS)
    neighbour_lines, share_left, neighbours_left_out = _symbols(plan, neighbours, _NEIGHBOUR_TITLE, share, NEIGHBOUR)
    room -= share - share_left
    tree_room = room + longest_notes - size(_notes(plan, True, small, focus_left_out, neighbours_left_out))
    if small:
        tree.grow(tree_room)
    else:
        tree.open_near(tree_room, plan.focus, plan.focus_folders)
    tree_lines = tree.lines(plan.folders[""]) if plan.files else []
    notes = _notes(plan, bool(plan.files) and tree.collapsed(), small, focus_left_out, neighbours_left_out)
    return _fit("\n".join([*header, *tree_lines, *focus_lines, *neighbour_lines, *notes]), budget)


def _symbols(plan: Plan, rels: list[str], title: str, room: int, caps: Caps) -> tuple[list[str], int, int]:
    """The titled symbol blocks of `rels` within `room` characters; the room left; the count of files
    left out."""
    out: list[str] = []
    left_out = 0
    for rel in rels:
        found = plan.symbols.get(rel)
        if found is None:  # beyond the parse caps
            left_out += 1
            continue
        if caps is NEIGHBOUR and not found.symbols and not found.problem:
            continue  # a neighbour with nothing to show is no loss
        title_cost = 0 if out else len(title) + 1
        block = _symbol_block(rel, found, room - title_cost, caps, plan.hints)
        if not block:
            left_out += 1
            continue
        if not out:
            out.append(title)
        out.extend(block)
        room -= size(block) + title_cost
    return out, room, left_out


def _symbol_block(rel: str, found: FileSymbols, room: int, caps: Caps, hints: Hints) -> list[str]:
    """A file's symbol block within its caps and `room` characters; [] when it does not fit at all.

    The symbols the task names first, with their signatures; then the others in full if they fit the
    caps, else by name and line as far as the caps and the room go, and a line saying how many more
    there are, where, and how to find them."""
    head = f"  {shown(rel)}"
    if found.problem or not found.symbols:
        if found.problem:
            why = f"not parsed: {found.problem}"
        else:
            why = "no top-level symbols" if ext(rel) in SOURCE_EXTS else "no symbols for this kind of file"
        line = [f"{head}  ({why})"]
        return line if size(line) <= room else []
    named_at = [i for i, sym in enumerate(found.symbols) if hints.names(sym)][: caps.named]
    python = ext(rel) in PYTHON_EXTS
    # The symbols the task names are kept beyond the caps; only a room too small for them all (the
    # task names more than a tiny budget holds) drops some, the last first, back among the others.
    for count in range(len(named_at), -1, -1):
        chosen = set(named_at[:count])
        named = [sym for i, sym in enumerate(found.symbols) if i in chosen]
        rest = [sym for i, sym in enumerate(found.symbols) if i not in chosen]
        named_lines = [_line(sym, 0, _qualified(sym)) for sym in named]
        if len(rest) <= caps.names:
            full = [f"{head}  (those the task names first)" if named else head, *named_lines, *_full_lines(rest)]
            if size(full) <= min(room, caps.chars):
                return full
        compact_head = (f"{head}  ({plural(len(found.symbols), 'symbol')}: "
                        f"{'those the task names first, then ' if named else ''}names and lines)")
        last = max((sym.line for sym in rest), default=0)
        reserve = len(_more(len(rest), last, last, python)) + 1 if rest else 0  # the closing line at its longest
        fixed = size([compact_head, *named_lines]) + reserve
        if fixed <= room:
            break
        if caps.min_names:
            return []
    else:
        return []
    items = [f"{shown(sym.name)} L{sym.line}" for sym in rest]
    keep = _take(items[: caps.names], min(room, max(caps.chars, fixed)) - fixed)
    if keep < min(caps.min_names, len(rest)):
        return []
    block = [compact_head, *named_lines, *_pack(items[:keep])]
    if keep == len(rest):
        return block
    left = rest[keep:]
    return [*block, _more(len(left), min(s.line for s in left), max(s.line for s in left), python)]


def _line(sym: Symbol, depth: int, text: str) -> str:
    pad = "    " + "  " * depth
    where = f"  L{sym.line}"
    return f"{pad}{clip(text, LINE_WIDTH - len(pad) - len(where))}{where}"


def _full_lines(symbols: list[Symbol]) -> list[str]:
    """Symbols with their signatures in the file's order, a method under its class (or, its class
    shown apart, named with it)."""
    out: list[str] = []
    current = ""
    for sym in symbols:
        if sym.depth == 0:
            current = sym.name
            out.append(_line(sym, 0, sym.text))
        elif sym.name.rpartition(".")[0] == current:
            out.append(_line(sym, sym.depth, sym.text))
        else:
            out.append(_line(sym, 0, _qualified(sym)))
    return out


def _qualified(sym: Symbol) -> str:
    """A method's signature named with its class, shown apart from it: `def Book.save(self)`."""
    owner, _, name = sym.name.rpartition(".")
    if sym.depth == 0 or not owner:
        return sym.text
    at = sym.text.find(f" {name}(")
    if at < 0:
        return f"{owner}: {sym.text}"
    return f"{sym.text[:at]} {owner}.{sym.text[at + 1:]}"


def _more(count: int, first: int, last: int, python: bool) -> str:
    """The closing line of a block that does not list all: how many, where, and how to find them."""
    where = f"L{first}" if first == last else f"L{first}–L{last}"
    how = "search for `def <name>` or `class <name>`" if python else "search for a name"
    return f"    (… {plural(count, 'more symbol')} not listed, at {where}: {how}, or view those lines)"


def _take(items: list[str], room: int) -> int:
    """How many of the items, packed as _pack packs them, fit in `room` characters."""
    used = current = count = 0
    for item in items:
        if current and current + 2 + len(item) <= LINE_WIDTH - 4:
            cost, width = 2 + len(item), current + 2 + len(item)
        else:
            cost, width = 4 + len(item) + 1, len(item)
        if used + cost > room:
            break
        used, current, count = used + cost, width, count + 1
    return count


def _pack(items: list[str]) -> list[str]:
    """The items joined by commas into lines of at most LINE_WIDTH, indented."""
    lines: list[str] = []
    current = ""
    for item in items:
        if current and len(current) + 2 + len(item) > LINE_WIDTH - 4:
            lines.append(f"    {current}")
            current = item
        else:
            current = f"{current}, {item}" if current else item
    if current:
        lines.append(f"    {current}")
    return lines


def _notes(plan: Plan, collapsed: bool, small: bool, focus_left_out: int, neighbours_left_out: int) -> list[str]:
    """The closing lines: what was left out, and why there are no symbols. A small tree is collapsed
    only for the budget; a large one, where it is not the task's."""
    notes = []
    if plan.cut:
        notes.append(f"(the listing stopped at {len(plan.files):,} files)")
    if collapsed:
        why = " to fit the map's budget" if small else ""
        notes.append(f"(folders shown as `name/ (N files: …)` and `… more` lines are collapsed{why}; "
                     "list_files shows what is inside)")
    if focus_left_out:
        notes.append(f"(symbols for {plural(focus_left_out, 'file')} of the task's left out to fit the map's "
                     "budget; use search or view)")
    if neighbours_left_out:
        notes.append(f"(symbols for {plural(neighbours_left_out, 'more file')} near the task's are not listed; "
                     "use search or view)")
    missing = ", ".join(shown(m) for m in plan.missing[:10])
    if not plan.focus and not plan.focus_folders:
        if missing:
            notes.append(f"(symbols are shown for the task's files only, and none of them exists yet: {missing})")
        else:
            notes.append("(symbols are shown for the task's files only; this task names none: use search or view)")
    elif missing:
        notes.append(f"(not there yet: {missing})")
    return notes


def _fit(text: str, budget: int) -> str:
    """The last guard of the budget, for a budget too small for even the task's own folders: cut at
    a line, and say so."""
    if len(text) <= budget:
        return text
    note = "\n(the map was cut here to fit its budget; use list_files, search and view)"
    if budget <= len(note):
        return text[:budget]
    cut = text.rfind("\n", 0, budget - len(note))
    return text[:cut] + note if cut > 0 else note.lstrip("\n")
