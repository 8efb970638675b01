"""The command line: `codeframe-tui` and its subcommands, the headless output, the process's logging."""
