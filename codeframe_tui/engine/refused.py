"""The one error a command gives the person: what was asked cannot be done, and why."""

from __future__ import annotations


class CommandRefused(ValueError):
    """A command the person gave cannot be carried out; the message says why, for the screen."""
