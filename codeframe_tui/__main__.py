"""Allow `python -m codeframe_tui`."""

from codeframe_tui.cli.main import main

raise SystemExit(main())
