"""Creates the demo project on disk: a tiny Python 'shelf' library with a web front, and its plan."""

from __future__ import annotations

from pathlib import Path

from codeframe_tui.domain import AgentType, NewTask

B, F, T = AgentType.BACKEND, AgentType.FRONTEND, AgentType.TEST

STARTER_FILES: dict[str, str] = {
    "README.md": (
        "# shelf\n\nA tiny reading-list library with an HTML front, built by CodeFRAME's demo agents.\n"
    ),
    "pyproject.toml": (
        '[project]\nname = "shelf"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'
    ),
    "shelf/__init__.py": '"""shelf: a reading list."""\n',
    "shelf/web/__init__.py": '"""HTML views of the shelf."""\n',
    "tests/__init__.py": "",
    "tests/test_package.py": (
        "import shelf\n\n\ndef test_package_imports():\n    assert shelf.__doc__\n"
    ),
    ".gitignore": ".codeframe/\n__pycache__/\n",
}

ISSUES = [("1", "A reading-list library"), ("2", "An HTML front for the list"), ("3", "Tests")]

PLAN: list[NewTask] = [
    NewTask("1.1", "Book model with validation", B, issue_key="1",
            description="Add shelf/models.py with a frozen Book(title, author, year, read) dataclass "
                        "that rejects an empty title or author and a year outside 1450..2100.",
            acceptance="Book('', 'x', 2000) raises ValueError.", files=("shelf/models.py",)),
    NewTask("1.2", "In-memory shelf repository", B, issue_key="1", depends_on=("1.1",),
            description="Add shelf/store.py: Shelf with add, remove, get and all (sorted by title); "
                        "adding the same title and author twice raises DuplicateBook.",
            files=("shelf/store.py",)),
    NewTask("1.3", "Reading statistics", B, issue_key="1", depends_on=("1.1",),
            description="Add shelf/stats.py: stats(books) returns total, read, unread and the share read.",
            files=("shelf/stats.py",)),
    NewTask("1.4", "Search by title or author", B, issue_key="1", depends_on=("1.2",),
            description="Add shelf/search.py: search(shelf, query) matches title or author, "
                        "case-insensitively, on word starts.",
            files=("shelf/search.py",)),
    NewTask("2.1", "Book card component", F, issue_key="2", depends_on=("1.1",),
            description="Add shelf/web/components.py: book_card(book) renders an escaped HTML card.",
            files=("shelf/web/components.py",)),
    NewTask("2.2", "List page with search", F, issue_key="2", depends_on=("1.4", "2.1"),
            description="Add shelf/web/pages.py: list_page(shelf, query='') renders a page with a "
                        "search form, a count line and one card per matching book.",
            files=("shelf/web/pages.py",)),
    NewTask("3.1", "Tests for the store and search", T, issue_key="3", depends_on=("1.4",),
            description="Add tests/test_store_search.py covering duplicates, removal and search edge cases."),
    NewTask("3.2", "Tests for the list page", T, issue_key="3", depends_on=("2.2", "3.1"),
            description="Add tests/test_pages.py: the count line, escaping, and the empty state."),
]

FLAKY_TASK = "3.2"
ASKING_TASK = "1.3"  # its agent asks the person a yes/no question first
FLAKY_TEST = "test_page_shows_count"


def create_demo_project(root: Path) -> None:
    """Write the starter files into an empty (or new) folder; refuse to touch a non-empty one
    (the `.codeframe` folder holding only the demo's own marker counts as empty)."""
    root.mkdir(parents=True, exist_ok=True)
    leftovers = [p.name for p in root.iterdir()
                 if not (p.name == ".codeframe" and {c.name for c in p.iterdir()} <= {"demo", "demo-stack"})]
    if leftovers:
        raise FileExistsError(f"{root} is not empty ({', '.join(sorted(leftovers)[:5])}); choose a new folder")
    for rel, text in STARTER_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
