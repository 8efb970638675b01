"""The scripted model's answers for the web demo: real TypeScript, real vitest tests, one task each.

Each agent searches for what it builds on, views it, writes its module and test, runs that test
and finishes. W1.2's first card leaves a variable unused: finish runs the whole script, the lint
step fails, and the correction is made only when the finish's answer names the file and line
(`src/bookCard.ts:3`): the proof that the lint failure reached the model.
"""

from __future__ import annotations

import re

from codeframe_tui.demo.web import LINT_TASK
from codeframe_tui.llm.scripted import ScriptedRequest, TextReply
from codeframe_tui.llm.scripted.agent import (
    create,
    finish,
    last_finish_result,
    place,
    play,
    replace,
    run_tests,
    search,
    view,
)

BOOK = """export interface Book {
  title: string;
  author: string;
  year: number;
  read: boolean;
}

/** "Dune, Frank Herbert (1965)" */
export function formatBook(book: Book): string {
  return `${book.title}, ${book.author} (${book.year})`;
}
"""

BOOK_TEST = """import { expect, test } from "vitest";
import { formatBook } from "./book";

test("one line per book", () => {
  expect(formatBook({ title: "Dune", author: "Frank Herbert", year: 1965, read: false }))
    .toBe("Dune, Frank Herbert (1965)");
});
"""

_CARD_BODY = """export function bookCard(book: Book): string {
  const state = book.read ? "read" : "unread";
  return `<article class="card ${state}"><h2>${escapeHtml(book.title)}</h2>` +
    `<p>${escapeHtml(book.author)}, ${book.year}</p></article>`;
}
"""
CARD = 'import type { Book } from "./book";\nimport { escapeHtml } from "./escape";\n\n' + _CARD_BODY
UNUSED_LINE = "  const shown = formatBook(book);\n"
CARD_FIRST = ('import { formatBook, type Book } from "./book";\nimport { escapeHtml } from "./escape";\n\n'
              + _CARD_BODY.replace("{\n", "{\n" + UNUSED_LINE, 1))

CARD_TEST = """import { expect, test } from "vitest";
import { bookCard } from "./bookCard";

const dune = { title: "Dune", author: "Frank Herbert", year: 1965, read: true };

test("shows title, author and year", () => {
  expect(bookCard(dune)).toContain("<h2>Dune</h2><p>Frank Herbert, 1965</p>");
});

test("marks read books", () => expect(bookCard(dune)).toContain('class="card read"'));

test("escapes markup in titles", () => {
  expect(bookCard({ ...dune, title: "<i>x</i>" })).toContain("&lt;i&gt;x&lt;/i&gt;");
});
"""

SEARCH = """import type { Book } from "./book";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\\]\\\\]/g, "\\\\$&");
}

/** Books whose title or author has a word starting with the query, ignoring case. */
export function searchBooks(books: Book[], query: string): Book[] {
  const wanted = query.trim();
  if (!wanted) {
    return books;
  }
  const start = new RegExp(`(^|\\\\W)${escapeRegExp(wanted)}`, "i");
  return books.filter((book) => start.test(book.title) || start.test(book.author));
}
"""

SEARCH_TEST = """import { expect, test } from "vitest";
import { searchBooks } from "./search";

const books = [
  { title: "Dune", author: "Frank Herbert", year: 1965, read: true },
  { title: "Emma", author: "Jane Austen", year: 1815, read: false },
];

test("matches word starts in title or author", () => {
  expect(searchBooks(books, "herb").map((b) => b.title)).toEqual(["Dune"]);
  expect(searchBooks(books, "AUS").map((b) => b.title)).toEqual(["Emma"]);
});

test("does not match inside words", () => expect(searchBooks(books, "une")).toEqual([]));

test("an empty query keeps every book", () => expect(searchBooks(books, " ")).toHaveLength(2));
"""

LIST_VIEW = """import type { Book } from "./book";
import { bookCard } from "./bookCard";
import { searchBooks } from "./search";

export function listView(books: Book[], query = ""): string {
  const shown = searchBooks(books, query);
  const count = `<p class="count">${shown.length} ${shown.length === 1 ? "book" : "books"}</p>`;
  if (shown.length === 0) {
    return `${count}<p class="empty">Nothing on the shelf yet.</p>`;
  }
  return count + shown.map(bookCard).join("");
}
"""

LIST_VIEW_TEST = """import { expect, test } from "vitest";
import { listView } from "./listView";

const books = [
  { title: "Dune", author: "Frank Herbert", year: 1965, read: true },
  { title: "Emma", author: "Jane Austen", year: 1815, read: false },
];

test("counts the books shown", () => {
  expect(listView(books)).toContain('<p class="count">2 books</p>');
  expect(listView(books, "emma")).toContain('<p class="count">1 book</p>');
});

test("one card per book", () => expect(listView(books).match(/<article/g)).toHaveLength(2));
"""

EDGE_TEST = """import { expect, test } from "vitest";
import { listView } from "./listView";

test("the empty list says so", () => {
  expect(listView([])).toContain("Nothing on the shelf yet.");
  expect(listView([])).toContain('<p class="count">0 books</p>');
});

test("a hostile title stays text", () => {
  const html = listView([{ title: "<script>alert(1)</script>", author: "X", year: 2000, read: false }]);
  expect(html).not.toContain("<script>");
  expect(html).toContain("&lt;script&gt;");
});
"""

# key: (search pattern, file to view, files to write, the test to run, summary)
_WORK: dict[str, tuple[str, str, dict[str, str], str, str]] = {
    "W1.1": ("export function", "src/escape.ts", {"src/book.ts": BOOK, "src/book.test.ts": BOOK_TEST},
             "src/book.test.ts", "Book and formatBook in src/book.ts, with a test."),
    "W1.2": ("export interface Book", "src/book.ts",
             {"src/bookCard.ts": CARD_FIRST, "src/bookCard.test.ts": CARD_TEST},
             "src/bookCard.test.ts", "bookCard renders an escaped card, marked read or unread."),
    "W1.3": ("export interface Book", "src/book.ts", {"src/search.ts": SEARCH, "src/search.test.ts": SEARCH_TEST},
             "src/search.test.ts", "searchBooks matches word starts of title or author."),
    "W1.4": ("export function (bookCard|searchBooks)", "src/bookCard.ts",
             {"src/listView.ts": LIST_VIEW, "src/listView.test.ts": LIST_VIEW_TEST},
             "src/listView.test.ts", "listView shows a count line and one card per book."),
    "W2.1": ("export function listView", "src/listView.ts", {"src/listView.edge.test.ts": EDGE_TEST},
             "src/listView.edge.test.ts", "Tests for the empty list and a hostile title."),
}
_TASK_LINE = re.compile(r"^Task (\S+):", re.MULTILINE)
# What the lint step says of the unused variable, as the finish's answer quotes it.
LINT_PROBLEM = re.compile(r"src/bookCard\.ts:\d+: 'shown' is assigned a value but never used")


def web_responder(request: ScriptedRequest):
    """Answer by task key; W1.2 is corrected only when its finish was refused with the lint error."""
    match = _TASK_LINE.search(request.first_user_text())
    if match is None or match.group(1) not in _WORK:
        return TextReply("I can only work on the web demo plan's tasks.")
    key = match.group(1)
    where = place(request)
    pattern, path, files, test, summary = _WORK[key]
    if key == LINT_TASK and where.round > 0 and LINT_PROBLEM.search(last_finish_result(request)):
        fix = [view("src/bookCard.ts", 1, 8),
               replace("src/bookCard.ts", 'import { formatBook, type Book } from "./book";',
                       'import type { Book } from "./book";'),
               replace("src/bookCard.ts", UNUSED_LINE, ""),
               run_tests(test), finish("Removed the unused variable the lint step named.")]
        return play(fix, where.step)
    steps = [search(pattern), view(path, 1, 20), *(create(p, text) for p, text in files.items()), run_tests(test),
             finish(summary)]
    return play(steps, where.step)
