"""Symbols of JavaScript, TypeScript, TSX, Vue and Svelte files, through tree-sitter's own grammars.

The grammars come compiled inside their wheels (tree-sitter-javascript, tree-sitter-typescript),
so nothing is fetched at run time. What a reader navigates by: top-level functions, classes,
interfaces, types, enums and variables (`export` kept in the text, so exports read as such), the
methods of top-level classes, `export default`, and the names of `export { a, b as c }`. A Vue or
Svelte file's `<script>` blocks are parsed with their own line numbers. Relative imports
(`./cart`, `../lib/price`) are kept so the map can follow them to the file's neighbours.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from codeframe_tui.engine.repomap.symbols import FileSymbols, Symbol

JS_EXTS = frozenset({".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte"})
_MAX_SYMBOLS = 400  # a generated bundle must not fill the map
_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
_DECLARATIONS = {
    "function_declaration", "generator_function_declaration", "class_declaration", "abstract_class_declaration",
    "interface_declaration", "type_alias_declaration", "enum_declaration", "lexical_declaration",
    "variable_declaration", "function_signature", "module", "internal_module", "ambient_declaration",
}
_CLASSES = {"class_declaration", "abstract_class_declaration", "class"}
_METHODS = {"method_definition", "abstract_method_signature", "method_signature"}


@cache
def _parser(grammar: str) -> Any | None:
    """A parser for "javascript", "typescript" or "tsx"; None when tree-sitter is not installed."""
    try:
        from tree_sitter import Language, Parser
    except ImportError:
        return None
    try:
        if grammar == "javascript":
            import tree_sitter_javascript as js

            return Parser(Language(js.language()))
        import tree_sitter_typescript as ts

        return Parser(Language(ts.language_tsx() if grammar == "tsx" else ts.language_typescript()))
    except ImportError:
        return None


def available() -> bool:
    """Whether the grammars are installed (else the regex fallback or ctags read these files)."""
    return _parser("typescript") is not None and _parser("javascript") is not None


def js_symbols(text: str, extension: str) -> FileSymbols:
    """The symbols of one file's text; a Vue or Svelte file's from its script blocks."""
    if extension in (".vue", ".svelte"):
        symbols: list[Symbol] = []
        imports: list[tuple[int, str, tuple[str, ...]]] = []
        for match in _SCRIPT.finditer(text):
            lang = re.search(r"""lang\s*=\s*["']?(ts|typescript|tsx)""", match["attrs"])
            offset = text.count("\n", 0, match.start("body"))
            found = _parse(match["body"], "typescript" if lang else "javascript", offset)
            symbols += found.symbols
            imports += found.imports
        return FileSymbols(tuple(symbols[:_MAX_SYMBOLS]), imports=tuple(imports))
    grammar = "tsx" if extension == ".tsx" else "typescript" if extension in (".ts", ".mts", ".cts") else "javascript"
    return _parse(text, grammar, 0)


def _parse(text: str, grammar: str, offset: int) -> FileSymbols:
    parser = _parser(grammar)
    if parser is None:
        return FileSymbols(problem="tree-sitter is not installed")
    source = text.encode("utf-8")
    root = parser.parse(source).root_node
    lines = text.splitlines()
    out: list[Symbol] = []
    imports: list[tuple[int, str, tuple[str, ...]]] = []
    for node in root.children:
        if len(out) >= _MAX_SYMBOLS:
            break
        if node.type == "import_statement":
            module = _string(node.child_by_field_name("source"), source)
            if module.startswith("."):
                imports.append((0, module, ()))
        elif node.type == "export_statement":
            out += _export(node, source, lines, offset)
        elif node.type in _DECLARATIONS:
            out += _declaration(node, source, lines, offset)
    problem = f"syntax error at line {_first_error(root) + offset}" if root.has_error and not out else ""
    return FileSymbols(tuple(out), problem, tuple(imports))


def _export(node: Any, source: bytes, lines: list[str], offset: int) -> list[Symbol]:
    declaration = node.child_by_field_name("declaration")
    if declaration is not None:
        return _declaration(declaration, source, lines, offset, shown_at=node)
    clause = next((c for c in node.children if c.type == "export_clause"), None)
    if clause is not None:
        names = []
        for spec in clause.children:
            if spec.type == "export_specifier":
                alias = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                names.append(_text(alias, source))
        return [Symbol(0, _line(lines, node), name, node.start_point[0] + 1 + offset) for name in names if name]
    if any(c.type == "default" for c in node.children):
        value = node.child_by_field_name("value")
        name = _text(value.child_by_field_name("name"), source) if value is not None else ""
        return [Symbol(0, _line(lines, node), name or "default", node.start_point[0] + 1 + offset)]
    return []  # export * from "./x"


def _declaration(node: Any, source: bytes, lines: list[str], offset: int, shown_at: Any = None) -> list[Symbol]:
    start = shown_at if shown_at is not None else node
    line = start.start_point[0] + 1 + offset
    text = _line(lines, start)
    if node.type in ("lexical_declaration", "variable_declaration"):
        names = [_text(d.child_by_field_name("name"), source) for d in node.children if d.type == "variable_declarator"]
        return [Symbol(0, text, name, line) for name in names if name]
    if node.type == "ambient_declaration":  # declare function f(); declare const x: T
        inner = next((c for c in node.children if c.type in _DECLARATIONS), None)
        return _declaration(inner, source, lines, offset, shown_at=start) if inner is not None else []
    name = _text(node.child_by_field_name("name"), source)
    if not name:
        name = "default" if shown_at is not None else ""
    if not name:
        return []
    out = [Symbol(0, text, name, line)]
    if node.type in _CLASSES:
        body = node.child_by_field_name("body")
        for member in body.children if body is not None else ():
            if member.type in _METHODS:
                method = _text(member.child_by_field_name("name"), source)
                if method:
                    out.append(Symbol(1, _line(lines, member), f"{name}.{method}",
                                      member.start_point[0] + 1 + offset))
    return out


def _line(lines: list[str], node: Any) -> str:
    row = node.start_point[0]
    text = lines[row].strip() if row < len(lines) else ""
    return text.rstrip("{").rstrip() or text


def _text(node: Any, source: bytes) -> str:
    if node is None:
        return ""
    return source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _string(node: Any, source: bytes) -> str:
    return _text(node, source).strip("'\"`")


def _first_error(root: Any) -> int:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return int(node.start_point[0]) + 1
        stack.extend(reversed(node.children))
    return 1

