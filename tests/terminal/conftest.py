"""The terminal tests' fixtures: `sshd` (a throwaway local OpenSSH server)."""

from .sshd import sshd  # noqa: F401  (a fixture: importing it here makes it visible to the tests)
