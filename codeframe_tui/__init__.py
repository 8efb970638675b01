"""CodeFRAME TUI: a team of AI coding agents in the terminal, on one asyncio loop."""

__version__ = "0.1.0"
