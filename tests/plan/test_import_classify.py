"""The agent-type classifier decides on whole words and file paths, never on substrings."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from codeframe_tui.domain import AgentType
from codeframe_tui.plan import classify_agent_type
from codeframe_tui.plan.classify import find_paths

B, F, T = AgentType.BACKEND, AgentType.FRONTEND, AgentType.TEST


@pytest.mark.parametrize(("title", "expected"), [
    ("Fetch the latest exchange rates", B),  # "test" inside "latest"
    ("Speed up the build", B),  # "ui" inside "build"
    ("Fix the deploy workflow", B),  # "low" inside "workflow"
    ("Contest entries endpoint", B),  # "test" inside "contest"
    ("Guide for the platform team", B),  # "ui" in "guide", "form" in "platform"
    ("Polish the UI", F),
    ("Add a settings page with a form", F),
    ("Front-end error banner", F),
    ("Write tests for the parser", T),
    ("Add API tests", T),  # a tie between words goes to the narrower kind
    ("Increase coverage", T),
    ("Set up the database", B),
    ("Tidy things up", B),  # no signal at all
])
def test_words_decide_on_word_boundaries(title, expected):
    assert classify_agent_type(title) == expected


@pytest.mark.parametrize(("files", "expected"), [
    (["tests/test_store.py"], T),
    (["tests/"], T),
    (["src/test_helpers.py"], T),
    (["web-ui/src/app.test.ts"], T),
    (["pkg/store_test.go"], T),
    (["src/App.tsx"], F),
    (["src/components/Card.ts"], F),
    (["frontend/main.js"], F),
    (["static/site.css"], F),
    (["app/templates/index.html"], F),
    (["src/latest/build.py"], B),
    (["tests/test_a.py", "src/App.vue"], T),  # a tie between files goes to test
    (["src/A.svelte", "src/B.jsx", "tests/test_a.py"], F),
])
def test_files_weigh_most(files, expected):
    # The title says "backend" on purpose: test and frontend files override words.
    assert classify_agent_type("Backend API work", files=files) == expected


def test_plain_source_files_do_not_override_words():
    assert classify_agent_type("Write tests for the parser", files=["src/parser.py"]) == T
    assert classify_agent_type("Style the header", files=["src/header.py"]) == B


def test_paths_in_text_are_used_when_no_files_are_given():
    assert classify_agent_type("Contract test in tests/contract/test_post.py") == T
    assert classify_agent_type("Card in web-ui/src/components/Card.tsx") == F
    # A path's parts are not words: "ui" in codeframe/ui/server.py does not make UI work.
    assert classify_agent_type("Add the endpoint in codeframe/ui/server.py") == B


def test_description_counts_less_than_the_title():
    assert classify_agent_type("Add the settings page", "store the choices in the database") == F


def test_default_applies_only_without_any_signal():
    assert classify_agent_type("Theme switcher", default=F) == F
    assert classify_agent_type("Theme switcher tests", default=F) == T


@pytest.mark.parametrize(("title", "description", "expected"), [
    # Features of a testing tool are backend work: a test word naming a part of the tool does not count.
    ("Build the coverage adapters", "", B),
    ("Add the test result models", "", B),
    ("Write the adapters for generated tests", "", B),
    ("Add coverage for the adapters", "", T),  # here coverage is what is asked for
    # Documents alone make a docs task, backend work, unless the task checks them by running them.
    ("Update the install steps in docs/setup.md", "", B),
    ("Write frontend/README.md with the folder layout", "", B),
    ("Create the guide for the testing tool in docs/guide.md", "", B),
    ("Run the quickstart.md validation", "", T),
    # Server code cannot be frontend work, whatever its words say.
    ("Allow the frontend origin in the CORS policy of Startup.cs", "", B),
    ("Add the dashboard layout handler in app/views.py", "", B),
    # UI places and names in JS, TS and Dart projects; the same folders in a Go tree are not UI.
    ("Add the settings screen in lib/features/settings/settings_screen.dart", "", F),
    ("Keep the cart in src/lib/stores/cart.ts", "", F),
    ("Poll the score in useScore.ts", "", F),
    ("Proxy /api in client/vite.config.ts", "", F),
    ("Retry refreshes in client/src/api/refresh.ts", "", F),
    ("Add the handler in internal/ui/render.go", "", B),
    # Test places and names beyond tests/: Cypress, Go helpers, Hurl files, component tests.
    ("Add the login command in cypress/support/commands.ts", "", T),
    ("Add a setupDB helper in testutil/db.go", "", T),
    ("Check sign-up in conformance/hurl/signup.hurl", "", T),
    ("Cover the empty state in src/components/List.cy.tsx", "", T),
    ("Exercise checkout end to end", "", T),
    ("Create an xunit project for the domain", "", T),
    # The title says what the task is; the description only when the title says nothing.
    ("Add the settings page", "Store the choices in the database and test it", F),
    ("Wire it up", "Render the list in src/components/List.tsx", F),
    # A named component is UI; Android's resources are UI; "react to" is a verb, React a library.
    ("Give the HeroSection component an input", "", F),
    ("Put the reminder strings into app/src/main/res/values/strings.xml", "", F),
    ("Sign in with the auth SDK and react to session changes", "", B),
    ("Render the rows with react-window", "", F),
    # A test folder among more server folders lays out a backend; alone with one it is a test task.
    ("Create backend/internal/auth/, backend/internal/store/ and backend/tests/contract/", "", B),
    ("Add tests/test_store.py for src/store.py", "", T),
    # Infrastructure words are backend work, even beside a UI word.
    ("Build the frontend and backend Docker images", "", B),
    ("Add monitoring: a metrics dashboard and alarms", "", B),
])
def test_general_rules_beyond_the_keywords(title, description, expected):
    assert classify_agent_type(title, description) == expected


def test_find_paths():
    text = "Add create_blocker() in codeframe/agents/backend.py, see README.md and `docs/`; Node.js and/or e.g. v1.2"
    assert find_paths(text) == ("codeframe/agents/backend.py", "README.md", "docs/")
    assert find_paths("see https://example.com/a.py") == ()


def _labelled(name: str) -> list[dict]:
    with (Path(__file__).parent / "fixtures" / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


# (file, tasks, repositories, floor). Issue L asks for 95% on a labelled set of at least 150 real
# tasks: the first set, written from the patterns of 23 public spec-kit and Task Master files and
# labelled by hand; the classifier's rules were worked out on it. The two held-out sets were written
# and labelled by someone who never saw the rules, from 26 other repositories, each task taken as it
# came in its file. Measured blind, before any rule they suggested: 79.8% and 75.0%. The rules they
# then suggested (a named component, Android resources, "react to", Dart's non-UI layers) are general,
# and the floors are today's figures, so a change that loses ground fails.
LABELLED = [
    ("agent_types.tsv", 150, 15, 0.95),
    ("agent_types_heldout.tsv", 100, 10, 0.86),
    ("agent_types_heldout2.tsv", 100, 10, 0.82),
]


@pytest.mark.parametrize(("name", "tasks", "repositories", "floor"), LABELLED, ids=[n for n, *_ in LABELLED])
def test_agent_type_accuracy_on_labelled_real_tasks(capsys, name, tasks, repositories, floor):
    rows = _labelled(name)
    assert len(rows) >= tasks and len({r["pattern_from"] for r in rows}) >= repositories
    assert {r["label"] for r in rows} <= {"backend", "frontend", "test"}
    right = sum(str(classify_agent_type(r["title"], r["description"])) == r["label"] for r in rows)
    with capsys.disabled():
        print(f"\nagent type, {name}: {right} of {len(rows)} labelled real tasks right ({right / len(rows):.1%})")
    assert right / len(rows) >= floor
