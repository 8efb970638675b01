"""The command palette (ctrl+p), made from the screens' own key bindings.

A binding with a `tooltip` is a command: the tooltip is its title in the palette (and its hint in
the footer), the first line of its action's docstring is the help under it, and its key is named.
So a new key on a screen is in the palette the moment it has a tooltip, and the palette can never
offer what the keys cannot do: it lists the bindings of the focused widget, its screen and the app,
as the keys see them, and leaves out what `check_action` turns off.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


@dataclass(frozen=True)
class PaletteCommand:
    title: str
    help: str
    node: DOMNode  # where the binding is defined: its actions run in its namespace
    action: str


def palette_commands(screen: DOMNode) -> list[PaletteCommand]:
    """The commands the person can give on `screen` now, nearest binding first, each action once."""
    focused = getattr(screen, "focused", None)
    start = focused if focused is not None else screen
    found: list[PaletteCommand] = []
    seen: set[tuple[int, str]] = set()
    for node in start.ancestors_with_self:
        for binding in _bindings_of(node):
            target, name = _target(node, binding.action)
            if not binding.tooltip or (id(target), name) in seen:
                continue
            seen.add((id(target), name))
            if target.check_action(name, ()) is not True:  # turned off (False) or shown dimmed (None)
                continue
            method = getattr(target, f"action_{name}", None)
            doc = (getattr(method, "__doc__", None) or "").strip().splitlines()
            key = node.app.get_key_display(binding)
            found.append(PaletteCommand(binding.tooltip, f"{doc[0] if doc else binding.description} ({key})",
                                        node, binding.action))
    return found


def _bindings_of(node: DOMNode) -> Iterator[Binding]:
    # Each class's own BINDINGS, the subclass's first, as Textual merges them for the keys.
    for cls in type(node).__mro__:
        for item in cls.__dict__.get("BINDINGS", ()):
            if isinstance(item, Binding):
                yield item


def _target(node: DOMNode, action: str) -> tuple[Any, str]:
    """The object whose `action_<name>` runs: `app.x` and `screen.x` name their namespace."""
    namespace, _, name = action.rpartition(".")
    if namespace == "app":
        return node.app, name
    if namespace == "screen":
        return node.screen, name
    return node, name


class BindingsProvider(Provider):
    """Offers the calling screen's commands; Textual's matcher ranks them against what is typed."""

    def _commands(self) -> list[PaletteCommand]:
        return palette_commands(self.screen)

    def _run(self, command: PaletteCommand):
        return partial(self.app.run_action, command.action, command.node)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, self._run(command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            if (score := matcher.match(command.title)) > 0:
                yield Hit(score, matcher.highlight(command.title), self._run(command), help=command.help)
