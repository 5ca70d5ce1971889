"""`python -m wuyou.cli …`: the same as the `wuyou` command (the server's children are started this way)."""

import sys

from wuyou.cli import main

sys.exit(main())
