"""Symbols of a Python file, read with `ast`: classes with their methods one level deep, functions,
UPPER_CASE constants, and the file's imports (which the map follows to find neighbours)."""

from __future__ import annotations

import ast

from codeframe_tui.engine.repomap.symbols import FileSymbols, Symbol

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def python_symbols(text: str) -> FileSymbols:
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
