"""Talking to Claude: the AsyncAnthropic wrapper, prompts, tool schemas and the scripted offline model."""
