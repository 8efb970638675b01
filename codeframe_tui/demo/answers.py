"""The scripted model's answers for the demo plan: real code and real tests, one change set per task."""

from __future__ import annotations

MODELS = '''"""The Book model."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Book:
    title: str
    author: str
    year: int
    read: bool = False

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("a book needs a title")
        if not self.author.strip():
            raise ValueError("a book needs an author")
        if not 1450 <= self.year <= 2100:
            raise ValueError(f"year {self.year} is out of range")
'''

TEST_MODELS = '''import pytest

from shelf.models import Book


def test_book_keeps_its_fields():
    book = Book("Dune", "Frank Herbert", 1965)
    assert (book.title, book.author, book.year, book.read) == ("Dune", "Frank Herbert", 1965, False)


@pytest.mark.parametrize("title,author,year", [("", "A", 2000), ("T", " ", 2000), ("T", "A", 1200)])
def test_book_rejects_bad_values(title, author, year):
    with pytest.raises(ValueError):
        Book(title, author, year)
'''

STORE = '''"""An in-memory shelf of books."""

from shelf.models import Book


class DuplicateBook(ValueError):
    pass


class Shelf:
    def __init__(self) -> None:
        self._books: dict[tuple[str, str], Book] = {}

    def add(self, book: Book) -> None:
        key = (book.title.casefold(), book.author.casefold())
        if key in self._books:
            raise DuplicateBook(f"{book.title} by {book.author} is already on the shelf")
        self._books[key] = book

    def remove(self, title: str, author: str) -> None:
        del self._books[(title.casefold(), author.casefold())]

    def get(self, title: str, author: str) -> Book | None:
        return self._books.get((title.casefold(), author.casefold()))

    def all(self) -> list[Book]:
        return sorted(self._books.values(), key=lambda b: b.title.casefold())
'''

TEST_STORE = '''import pytest

from shelf.models import Book
from shelf.store import DuplicateBook, Shelf


def test_add_and_list_sorted():
    shelf = Shelf()
    shelf.add(Book("Emma", "Jane Austen", 1815))
    shelf.add(Book("Beloved", "Toni Morrison", 1987))
    assert [b.title for b in shelf.all()] == ["Beloved", "Emma"]


def test_duplicate_is_refused():
    shelf = Shelf()
    shelf.add(Book("Emma", "Jane Austen", 1815))
    with pytest.raises(DuplicateBook):
        shelf.add(Book("emma", "jane austen", 1815))
'''

STATS = '''"""Reading statistics."""

from dataclasses import dataclass
from typing import Iterable

from shelf.models import Book


@dataclass(frozen=True)
class Stats:
    total: int
    read: int
    unread: int
    share_read: float


def stats(books: Iterable[Book]) -> Stats:
    books = list(books)
    read = sum(1 for b in books if b.read)
    total = len(books)
    return Stats(total, read, total - read, read / total if total else 0.0)
'''

TEST_STATS = '''from shelf.models import Book
from shelf.stats import stats


def test_stats_counts_read_books():
    result = stats([Book("A", "X", 2000, read=True), Book("B", "Y", 2001)])
    assert (result.total, result.read, result.unread, result.share_read) == (2, 1, 1, 0.5)


def test_stats_of_nothing():
    assert stats([]).share_read == 0.0
'''

SEARCH = '''"""Search the shelf by title or author."""

import re

from shelf.models import Book
from shelf.store import Shelf


def search(shelf: Shelf, query: str) -> list[Book]:
    query = query.strip()
    if not query:
        return shelf.all()
    pattern = re.compile(r"\\b" + re.escape(query), re.IGNORECASE)
    return [b for b in shelf.all() if pattern.search(b.title) or pattern.search(b.author)]
'''

TEST_SEARCH = '''from shelf.models import Book
from shelf.search import search
from shelf.store import Shelf


def make_shelf():
    shelf = Shelf()
    shelf.add(Book("The Hobbit", "J. R. R. Tolkien", 1937))
    shelf.add(Book("Hyperion", "Dan Simmons", 1989))
    return shelf


def test_search_matches_word_starts_in_title_and_author():
    shelf = make_shelf()
    assert [b.title for b in search(shelf, "hob")] == ["The Hobbit"]
    assert [b.title for b in search(shelf, "simm")] == ["Hyperion"]


def test_search_does_not_match_inside_words():
    assert search(make_shelf(), "obbit") == []
'''

COMPONENTS = '''"""HTML components."""

from html import escape

from shelf.models import Book


def book_card(book: Book) -> str:
    state = "read" if book.read else "unread"
    return (
        f'<article class="book {state}">'
        f"<h2>{escape(book.title)}</h2>"
        f"<p>{escape(book.author)}, {book.year}</p>"
        "</article>"
    )
'''

TEST_COMPONENTS = '''from shelf.models import Book
from shelf.web.components import book_card


def test_card_shows_title_author_year():
    html = book_card(Book("Dune", "Frank Herbert", 1965))
    assert "<h2>Dune</h2>" in html and "Frank Herbert, 1965" in html


def test_card_escapes_markup():
    assert "&lt;b&gt;" in book_card(Book("<b>", "A", 2000))
'''

PAGES = '''"""Whole HTML pages."""

from html import escape

from shelf.search import search
from shelf.store import Shelf
from shelf.web.components import book_card


def list_page(shelf: Shelf, query: str = "") -> str:
    books = search(shelf, query)
    noun = "book" if len(books) == 1 else "books"
    cards = "".join(book_card(b) for b in books) or '<p class="empty">Nothing here yet.</p>'
    return (
        "<!doctype html><title>Shelf</title>"
        f'<form><input name="q" value="{escape(query, quote=True)}"></form>'
        f'<p class="count">{len(books)} {noun}</p>{cards}'
    )
'''

TEST_STORE_SEARCH = '''import pytest

from shelf.models import Book
from shelf.search import search
from shelf.store import Shelf


@pytest.fixture
def shelf():
    s = Shelf()
    s.add(Book("Middlemarch", "George Eliot", 1871))
    s.add(Book("Mrs Dalloway", "Virginia Woolf", 1925, read=True))
    return s


def test_remove_then_get_is_none(shelf):
    shelf.remove("middlemarch", "george eliot")
    assert shelf.get("Middlemarch", "George Eliot") is None


def test_empty_query_returns_everything(shelf):
    assert len(search(shelf, "   ")) == 2


def test_query_with_regex_characters_is_literal(shelf):
    assert search(shelf, "Mrs.") == []
'''


def _pages_test(expected_count_line: str) -> str:
    return f'''from shelf.models import Book
from shelf.store import Shelf
from shelf.web.pages import list_page


def make_shelf():
    shelf = Shelf()
    shelf.add(Book("Kindred", "Octavia E. Butler", 1979))
    shelf.add(Book("Solaris", "Stanislaw Lem", 1961))
    return shelf


def test_page_shows_count():
    assert '{expected_count_line}' in list_page(make_shelf())


def test_page_escapes_the_query():
    assert 'value="&quot;&gt;"' in list_page(make_shelf(), query='">')


def test_empty_state():
    assert "Nothing here yet." in list_page(Shelf())
'''


def _change(summary: str, files: dict[str, str]) -> dict:
    return {
        "summary": summary,
        "files": [{"path": p, "action": "write", "content": c} for p, c in files.items()],
    }


ANSWERS: dict[str, dict] = {
    "1.1": _change("Add the Book model with validation, and its tests.",
                   {"shelf/models.py": MODELS, "tests/test_models.py": TEST_MODELS}),
    "1.2": _change("Add the Shelf repository with duplicate detection.",
                   {"shelf/store.py": STORE, "tests/test_store.py": TEST_STORE}),
    "1.3": _change("Add reading statistics.", {"shelf/stats.py": STATS, "tests/test_stats.py": TEST_STATS}),
    "1.4": _change("Add word-start search over titles and authors.",
                   {"shelf/search.py": SEARCH, "tests/test_search.py": TEST_SEARCH}),
    "2.1": _change("Add the escaped book card component.",
                   {"shelf/web/components.py": COMPONENTS, "tests/test_components.py": TEST_COMPONENTS}),
    "2.2": _change("Add the list page with a search form and a count line.", {"shelf/web/pages.py": PAGES}),
    "3.1": _change("Cover removal, empty queries and literal regex characters.",
                   {"tests/test_store_search.py": TEST_STORE_SEARCH}),
    "3.2": _change("Test the list page's count line, escaping and empty state.",
                   {"tests/test_pages.py": _pages_test('<p class="count">2 books</p>')}),
}

# The agent on 1.3 asks the person one yes/no question before it writes anything (the demo's blocker).
STATS_QUESTION = (
    "Should the share of books read be a percentage from 0 to 100 (yes), "
    "rather than a fraction from 0 to 1 (no)?"
)
STATS_AS_PERCENT = _change(
    "Add reading statistics, with the share read as a percentage, as the person asked.",
    {
        "shelf/stats.py": STATS.replace("read / total if total", "round(100 * read / total, 1) if total"),
        "tests/test_stats.py": TEST_STATS.replace("(2, 1, 1, 0.5)", "(2, 1, 1, 50.0)"),
    },
)

# The first try at 3.2 expects the wrong count line, so its test fails and the agent must correct it.
WRONG_FIRST_ANSWER: dict[str, dict] = {
    "3.2": _change("Test the list page's count line, escaping and empty state.",
                   {"tests/test_pages.py": _pages_test('<p class="count">2 book</p>')}),
}
