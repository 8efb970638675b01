"""Tests that drive the real app in a real terminal: a private tmux server, and a local sshd."""
