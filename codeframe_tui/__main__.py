"""Allow `python -m codeframe_tui`."""

from codeframe_tui.cli import main

raise SystemExit(main())
