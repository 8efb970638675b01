"""The web demo (`codeframe-tui demo --stack web`): a small TypeScript project with vitest, a lint
step and a type check, and frontend tasks the scripted model carries out in it.

The project's `test` script is the chain real projects have (`npm run lint && npm run types &&
vitest run`), so the demo shows what the runner makes of one: each step named, counts from vitest's
own report. Task W1.2's first answer leaves an unused variable; the lint step names it with its
file and line, and the agent's correction fixes exactly that.
"""

from __future__ import annotations

import json
from pathlib import Path

from codeframe_tui.domain import AgentType, NewTask

F, T = AgentType.FRONTEND, AgentType.TEST

# The versions the tests run against (tests/js_tools/package-lock.json holds the same majors).
DEV_DEPENDENCIES = {"eslint": "^9.0.0", "typescript": "^5.6.0", "typescript-eslint": "^8.0.0", "vitest": "^4.0.0"}

PACKAGE_JSON = {
    "name": "shelf-web",
    "version": "0.1.0",
    "private": True,
    "type": "module",
    "scripts": {"test": "npm run lint && npm run types && vitest run", "lint": "eslint src", "types": "tsc --noEmit"},
    "devDependencies": DEV_DEPENDENCIES,
}

STARTER_FILES: dict[str, str] = {
    "README.md": "# shelf-web\n\nA reading list in the browser, built by CodeFRAME's demo agents.\n",
    "package.json": json.dumps(PACKAGE_JSON, indent=2) + "\n",
    "tsconfig.json": json.dumps({
        "compilerOptions": {"strict": True, "noEmit": True, "target": "ES2022", "module": "ESNext",
                            "moduleResolution": "Bundler", "skipLibCheck": True, "types": []},
        "include": ["src"],
    }, indent=2) + "\n",
    "eslint.config.mjs": (
        'import tseslint from "typescript-eslint";\n\n'
        "export default tseslint.config(...tseslint.configs.recommended);\n"
    ),
    "src/escape.ts": (
        "/** Text made safe to put inside HTML. */\n"
        "export function escapeHtml(text: string): string {\n"
        "  return text.replace(/&/g, \"&amp;\").replace(/</g, \"&lt;\").replace(/>/g, \"&gt;\")"
        ".replace(/\"/g, \"&quot;\");\n"
        "}\n"
    ),
    "src/escape.test.ts": (
        'import { expect, test } from "vitest";\nimport { escapeHtml } from "./escape";\n\n'
        'test("escapes markup", () => expect(escapeHtml("<b>&</b>")).toBe("&lt;b&gt;&amp;&lt;/b&gt;"));\n'
        'test("keeps plain text", () => expect(escapeHtml("Dune")).toBe("Dune"));\n'
    ),
    ".gitignore": "node_modules/\n.codeframe/\n",
}

ISSUES = [("W1", "A reading list in the browser"), ("W2", "Tests")]

PLAN: list[NewTask] = [
    NewTask("W1.1", "Book type and its one-line form", F, issue_key="W1",
            description="Add src/book.ts: a Book interface (title, author, year, read) and "
                        "formatBook(book) giving 'Title, Author (Year)'.", files=("src/book.ts",)),
    NewTask("W1.2", "Book card component", F, issue_key="W1", depends_on=("W1.1",),
            description="Add src/bookCard.ts: bookCard(book) renders an escaped <article> card, "
                        "marked read or unread.", files=("src/bookCard.ts",)),
    NewTask("W1.3", "Search by title or author", F, issue_key="W1", depends_on=("W1.1",),
            description="Add src/search.ts: searchBooks(books, query) matches title or author, "
                        "case-insensitively, on word starts.", files=("src/search.ts",)),
    NewTask("W1.4", "List view with a count line", F, issue_key="W1", depends_on=("W1.2", "W1.3"),
            description="Add src/listView.ts: listView(books, query) renders a count line and one "
                        "card per matching book.", files=("src/listView.ts",)),
    NewTask("W2.1", "Tests for the empty list and hostile titles", T, issue_key="W2", depends_on=("W1.4",),
            description="Add src/listView.edge.test.ts: the empty state, and a title full of markup."),
]

LINT_TASK = "W1.2"  # its first answer has an unused variable: the lint step names it


def create_web_project(root: Path) -> None:
    """Write the starter files into `root` (made empty by the caller)."""
    for rel, text in STARTER_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
