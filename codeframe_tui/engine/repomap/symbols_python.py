"""Symbols of a Python file, read with `ast`: classes with their methods one level deep, functions,
UPPER_CASE constants, and the file's imports (which the map follows to find neighbours).

A large file is read line by line instead (`scan_symbols`): `ast.parse` is C code that holds the
GIL throughout, ~17 ms for a 160 KB module, so even in a thread it stalled the event loop for that
long (8 agents mapping such files took the loop's p99 lag past 60 ms). The scan finds the same
definitions at the same lines; it cannot tell a `def` inside a string at column 0 from a real one.
"""

from __future__ import annotations

import ast
import re

from codeframe_tui.engine.repomap.symbols import FileSymbols, Symbol

_Function = ast.FunctionDef | ast.AsyncFunctionDef


AST_LIMIT = 32_000  # characters: ast.parse holds the GIL ~3 ms at this size


def python_symbols(text: str) -> FileSymbols:
    if len(text) > AST_LIMIT:
        return scan_symbols(text)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte in the source
        where = f" at line {exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else ""
        return FileSymbols(problem=f"syntax error{where}")
    except RecursionError:
        return FileSymbols(problem="too deeply nested to parse")
    out: list[Symbol] = []
    imports: list[tuple[int, str, tuple[str, ...]]] = []
    for node in tree.body:
        if isinstance(node, _Function):
            out.append(Symbol(0, _function(node), node.name, node.lineno))
        elif isinstance(node, ast.ClassDef):
            out.append(Symbol(0, _class(node), node.name, node.lineno))
            out.extend(Symbol(1, _function(sub), f"{node.name}.{sub.name}", sub.lineno)
                       for sub in node.body if isinstance(sub, _Function))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                shown = _constant(target, node.value)
                if shown:
                    out.append(Symbol(0, shown, shown.split(" ", 1)[0], node.lineno))
        elif isinstance(node, ast.Import):
            imports.extend((0, alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imports.append((node.level, node.module or "", tuple(a.name for a in node.names)))
    return FileSymbols(tuple(out), imports=tuple(imports))


def _function(node: _Function) -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"{prefix} {node.name}({ast.unparse(node.args)}){returns}"


def _class(node: ast.ClassDef) -> str:
    bases = [ast.unparse(b) for b in (*node.bases, *node.keywords)]
    return f"class {node.name}({', '.join(bases)})" if bases else f"class {node.name}"


def _constant(target: ast.expr, value: ast.expr | None) -> str | None:
    if not isinstance(target, ast.Name) or not target.id.isupper():
        return None
    if value is None:
        return target.id
    # Only a short one-line value is worth showing; unparsing a 100 KB literal is not.
    short = (value.end_lineno == value.lineno and value.end_col_offset is not None
             and value.end_col_offset - value.col_offset <= 40)
    return f"{target.id} = {ast.unparse(value) if short else '…'}"


_DEFINITION = re.compile(r"^(?P<indent>[ \t]*)(?P<kw>async[ \t]+def|def|class)[ \t]+(?P<name>\w+)(?P<rest>[^\n]*)",
                         re.MULTILINE)
_CONSTANT = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)[ \t]*(?::[^=\n]*)?=(?!=)[ \t]*(?P<value>[^\n]*)", re.MULTILINE)
_FROM = re.compile(r"^from[ \t]+(?P<dots>\.*)(?P<module>[\w.]*)[ \t]+import[ \t]+\(?(?P<names>[^\n#)]*)", re.MULTILINE)
_IMPORT = re.compile(r"^import[ \t]+(?P<names>[\w. \t,]+)", re.MULTILINE)


def scan_symbols(text: str) -> FileSymbols:
    """The symbols `python_symbols` gives, read with regular expressions in C-speed passes."""
    symbols: list[Symbol] = []
    owner = ""  # the class whose methods come next
    lines = _Lines(text)
    for m in _DEFINITION.finditer(text):
        indent, kw, name = m.group("indent"), m.group("kw"), m.group("name")
        kw = "async def" if kw.startswith("async") else kw
        shown = f"{kw} {name}{_signature(m.group('rest'))}"
        if not indent:
            owner = name if kw == "class" else ""
            symbols.append(Symbol(0, shown, name, lines.at(m.start())))
        elif owner and kw != "class" and indent in ("    ", "\t"):
            symbols.append(Symbol(1, shown, f"{owner}.{name}", lines.at(m.start())))
    lines = _Lines(text)
    for m in _CONSTANT.finditer(text):
        value = m.group("value").strip()
        shown = f"{m.group('name')} = {value if len(value) <= 40 else '…'}"
        symbols.append(Symbol(0, shown, m.group("name"), lines.at(m.start())))
    symbols.sort(key=lambda s: s.line)
    imports = [(m.start(), (len(m.group("dots")), m.group("module"),
                            tuple(n.strip().split(" as ")[0] for n in m.group("names").split(",") if n.strip())))
               for m in _FROM.finditer(text)]
    imports += [(m.start(), (0, n.strip().split(" as ")[0], ())) for m in _IMPORT.finditer(text)
                for n in m.group("names").split(",") if n.strip()]
    return FileSymbols(tuple(symbols), imports=tuple(i for _, i in sorted(imports, key=lambda i: i[0])))


class _Lines:
    """Line numbers of increasing offsets, counted once over the text."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.pos, offset)
        self.pos = offset
        return self.line


def _signature(rest: str) -> str:
    """`(iterable, n, strict=False)` from `(iterable, n, strict=False):  # comment`; a signature that
    goes on past its line ends in `…)`."""
    rest = rest.split("#", 1)[0].rstrip()
    if rest.endswith(":"):
        rest = rest[:-1].rstrip()
    if rest.startswith("(") and not rest.endswith(")") and "->" not in rest:
        rest += "…)"
    return rest
