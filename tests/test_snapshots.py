"""Snapshot tests of the main screen (synchronous: snap_compare must never run inside async def)."""

from __future__ import annotations

from snapshot_scenes import finished_story, mid_run_story, play, review_app, review_scene, scene_app


def test_main_screen_mid_run_80x24(snap_compare, tmp_path):
    """You should see, at 80x24: the header "sandbox: bwrap · no network — 8 tasks · 3 running · 1
    done"; the OFFLINE DEMO banner; Tasks with 1.1 done and 1.2, 1.3, 2.1
    running; Agents backend-1, backend-2 and frontend-1 busy, each with its spend so far ($0.05,
    $0.00, $0.02); Test output following 2.1 with its pytest lines; the Activity pane's last lines;
    the usage line (in 18.3k · out 4.2k · cache 57% · $0.06 · 0:06) with its spend sparkline; and
    the footer keys."""

    async def run_before(pilot):
        await play(pilot, mid_run_story())

    assert snap_compare(scene_app(tmp_path / "demo"), terminal_size=(80, 24), run_before=run_before)


def test_main_screen_finished_120x40(snap_compare, tmp_path):
    """You should see, at 120x40: all eight tasks done with their agents, the header "CodeFRAME ·
    sandbox: bwrap · no network — 8 tasks · finished in 14.2s · 8 done", every agent idle with its
    spend, Test output on 3.2 ending with its passing run, the Activity pane showing the correction
    that succeeded and the run's end, and the usage line with nine calls' tokens, cache hits and
    cost."""

    async def run_before(pilot):
        await play(pilot, finished_story())

    assert snap_compare(scene_app(tmp_path / "demo"), terminal_size=(120, 40), run_before=run_before)


def test_plan_review_80x24(snap_compare, tmp_path):
    """You should see, at 80x24: PLAN REVIEW over the offline banner; the Plan table with 1.1
    approved, 1.2 and 1.3 ticked as selected and proposed, the cursor on 1.3; the Task pane with
    1.3's title, 'Waits for: 1.1 (approved)' and its description; the footer keys Select, Approve,
    Approve all, Reject, Details, Start."""
    assert snap_compare(review_app(tmp_path / "demo"), terminal_size=(80, 24), run_before=review_scene)


def test_plan_review_120x40(snap_compare, tmp_path):
    """You should see, at 120x40: the same review with room for full titles; 2.2 waits for 1.4
    and 2.1; the header counting 1 approved and 7 proposed of 8 tasks."""
    assert snap_compare(review_app(tmp_path / "demo"), terminal_size=(120, 40), run_before=review_scene)


def test_discovery_80x24(snap_compare, tmp_path):
    """You should see, at 80x24: the Discovery chat with the goal question, the person's goal, the
    lead agent's question about users, the answer, and its next question about must-have features;
    the answer box at the bottom; the footer with Skip question and Finish: write the PRD."""
    from snapshot_scenes import discovery_scene, discovery_scene_app

    assert snap_compare(discovery_scene_app(tmp_path / "p"), terminal_size=(80, 24), run_before=discovery_scene)


def test_discovery_120x40(snap_compare, tmp_path):
    """You should see, at 120x40: the same conversation with room to spare, nothing cut off."""
    from snapshot_scenes import discovery_scene, discovery_scene_app

    assert snap_compare(discovery_scene_app(tmp_path / "p"), terminal_size=(120, 40), run_before=discovery_scene)


def test_inbox_80x24(snap_compare, tmp_path):
    """You should see, at 80x24: the header saying 3 waiting; the Inbox table, oldest first: a ◆
    review of 1.2 by backend-1 waiting 11m ('tests passed; 3 files, +…'), a ? question from 1.3
    by backend-2 waiting 8m, and 2.1's '(going on)' question waiting 3m; the Details pane with 1.2's
    review and its keys; the footer with Answer/Diff, Yes/Accept, No/Reject, Reject for good, Diff."""
    from snapshot_scenes import inbox_app, inbox_scene

    assert snap_compare(inbox_app(tmp_path / "demo"), terminal_size=(80, 24), run_before=inbox_scene)


def test_answer_editor_80x24(snap_compare, tmp_path):
    """You should see, at 80x24: the 'Answer task 1.3 (backend-2)' editor with the full question
    about a percentage or a fraction, the note that y/n answers it at once, the typed answer
    'Yes, a percentage with one decimal: 66.7', the character count and ctrl+s Send / esc Cancel."""
    from snapshot_scenes import answer_scene, inbox_app

    assert snap_compare(inbox_app(tmp_path / "demo"), terminal_size=(80, 24), run_before=answer_scene)


def test_diff_view_80x24(snap_compare, tmp_path):
    """You should see, at 80x24: 'Review 1.2: In-memory shelf repository' in the header; the bar
    'file 2/3 · shelf/store.py · added'; under its '--- /dev/null' and '+++ b/shelf/store.py'
    headers the new file's Python, coloured by token (keywords, names, the docstring and f-string),
    each line with a green '+' on a green tint running to the scrollbar; the footer with Accept,
    Reject with feedback, Reject for good and Close."""
    from snapshot_scenes import diff_scene, inbox_app

    assert snap_compare(inbox_app(tmp_path / "demo"), terminal_size=(80, 24), run_before=diff_scene)
