"""What a child process of the tests must carry when a test builds its environment from scratch."""

from __future__ import annotations

import os

from codeframe_tui.config.layers import USER_DIR_ENV


def config_home_env() -> dict[str, str]:
    """The running test's own user config folder (conftest sets one per test): a child given only
    PATH and HOME would otherwise look in the platform's place, which XDG_CONFIG_HOME may move out
    of that HOME."""
    return {USER_DIR_ENV: os.environ[USER_DIR_ENV]}
