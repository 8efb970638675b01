"""The offline demo: a small real project, its plan, and the scripted model's answers."""
