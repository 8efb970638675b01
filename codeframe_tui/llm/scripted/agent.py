"""Scripting a worker's tool loop: where a conversation stands, read from the request alone.

The scripted model keeps no state between requests (the real API keeps none either), so a script
finds its place in the history: the round is how many `finish` calls were already answered (each
red finish opens a new round), and the step is how many answers the model gave since. A retried
request lands on the same step, and a resumed run starts again at step 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .replies import Reply, TextReply, ToolUseReply
from .request import ScriptedRequest

FINISH = "finish"
ASK = "ask_human"
EDITOR = "str_replace_based_edit_tool"
# A round ends when one of these is answered: after a red finish, or a person's answer, the model
# decides afresh what to do.
ROUND_ENDS = (FINISH, ASK)


@dataclass(frozen=True)
class Place:
    round: int  # finish calls answered so far (0: the first try)
    step: int  # the model's answers since the round began
    last_result: str  # the text of the last tool_result (the finish's, at step 0 of a later round)


def place(request: ScriptedRequest) -> Place:
    round_, step, _ = _walk(request.messages)
    return Place(round_, step, _last_result(request.messages))


def _walk(messages: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(round, step, index of the message that opened the round)."""
    round_, step, opened, ends = 0, 0, 1, set()
    for index, message in enumerate(messages):
        blocks = message["content"] if isinstance(message["content"], list) else []
        if message["role"] == "assistant":
            step += 1
            ends |= {b["id"] for b in blocks if b["type"] == "tool_use" and b["name"] in ROUND_ENDS}
        elif any(b["type"] == "tool_result" and b["tool_use_id"] in ends for b in blocks):
            round_, step, opened, ends = round_ + 1, 0, index + 1, set()
    return round_, step, opened


def round_start(request: ScriptedRequest) -> ScriptedRequest:
    """The request as it stood when the current round began: what a model answering each round in
    one go would have been sent."""
    body = request.body
    body["messages"] = body["messages"][: _walk(body["messages"])[2]]
    return ScriptedRequest(body, request.headers)


def _last_result(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user" and isinstance(message["content"], list):
            for block in message["content"]:
                if block["type"] == "tool_result":
                    content = block.get("content")
                    return content if isinstance(content, str) else ""
    return ""


def last_finish_result(request: ScriptedRequest) -> str:
    """The answer to the last `finish` call, where a red finish reports its failure: what a script
    checks before it corrects, at any step of the round (last_result is the latest tool's only)."""
    finish_ids: set[str] = set()
    found = ""
    for message in request.messages:
        blocks = message["content"] if isinstance(message["content"], list) else []
        if message["role"] == "assistant":
            finish_ids |= {b["id"] for b in blocks if b["type"] == "tool_use" and b["name"] == FINISH}
        for block in blocks:
            if block["type"] == "tool_result" and block["tool_use_id"] in finish_ids:
                content = block.get("content")
                found = content if isinstance(content, str) else ""
    return found


def play(steps: Sequence[Reply], at: int) -> Reply:
    """The step's reply; past the end, the script has nothing more to do than finish."""
    if at < len(steps):
        return steps[at]
    return finish("done")


def scripted_rounds(rounds: Callable[[ScriptedRequest, Place], Sequence[Reply] | None]) -> Callable:
    """A responder from a function giving each round's steps (None: a plain text answer)."""

    def respond(request: ScriptedRequest) -> Reply:
        where = place(request)
        steps = rounds(request, where)
        return TextReply("I have nothing to do here.") if steps is None else play(steps, where.step)

    return respond


# ---- steps, as a model would take them ------------------------------------------------------


def view(path: str, start: int | None = None, end: int | None = None, text: str = "") -> ToolUseReply:
    data: dict[str, Any] = {"command": "view", "path": path}
    if start is not None:
        data["view_range"] = [start, -1 if end is None else end]
    return ToolUseReply(EDITOR, data, text=text)


def create(path: str, content: str, text: str = "") -> ToolUseReply:
    return ToolUseReply(EDITOR, {"command": "create", "path": path, "file_text": content}, text=text)


def replace(path: str, old: str, new: str, text: str = "") -> ToolUseReply:
    return ToolUseReply(EDITOR, {"command": "str_replace", "path": path, "old_str": old, "new_str": new}, text=text)


def insert(path: str, after_line: int, content: str) -> ToolUseReply:
    return ToolUseReply(EDITOR, {"command": "insert", "path": path, "insert_line": after_line,
                                 "insert_text": content})


def search(pattern: str, path: str | None = None, text: str = "") -> ToolUseReply:
    return ToolUseReply("search", {"pattern": pattern, **({"path": path} if path else {})}, text=text)


def list_files(glob: str | None = None) -> ToolUseReply:
    return ToolUseReply("list_files", {"glob": glob} if glob else {})


def run_tests(*args: str) -> ToolUseReply:
    return ToolUseReply("run_tests", {"args": list(args)} if args else {})


def finish(summary: str) -> ToolUseReply:
    return ToolUseReply(FINISH, {"summary": summary})


def bash(command: str) -> ToolUseReply:
    """Anthropic's bash tool, offered when commands run in the sandbox."""
    return ToolUseReply("bash", {"command": command})


def ask(question: str, *, blocking: bool = True, yes_no: bool = False, assumption: str = "") -> ToolUseReply:
    data: dict[str, Any] = {"question": question, "blocking": blocking, "yes_no": yes_no}
    if assumption:
        data["assumption"] = assumption
    return ToolUseReply("ask_human", data)


def change_set_agent(decide: Callable[[ScriptedRequest], Any]) -> Callable[[ScriptedRequest], Reply]:
    """A responder for scripts that answer each round with a whole change set ({"summary", "files":
    [{"path", "action": "write", "content"}]}): the loop's tools write it (`writes`) and finish.
    `decide` sees the request as the round began (`round_start`); a Reply it returns is sent as is."""

    def respond(request: ScriptedRequest) -> Reply:
        answer = decide(round_start(request))
        if not isinstance(answer, dict):
            return answer
        files = {f["path"]: f["content"] for f in answer["files"] if f.get("action", "write") == "write"}
        return play(writes(files, answer.get("summary", "")), place(request).step)

    return respond


def writes(files: dict[str, str], summary: str) -> list[Reply]:
    """A whole change set as a model in a tool loop writes it: each file viewed (a new one says it
    does not exist yet), then created whole, then finish."""
    steps: list[Reply] = []
    for path, content in files.items():
        steps += [view(path), create(path, content)]
    return [*steps, finish(summary)]
