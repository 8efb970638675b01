"""The engine: lead agent, workers, scheduling and file changes. Never imports textual or rich."""
