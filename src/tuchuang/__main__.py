"""`python -m tuchuang` is the `tuchuang` command."""

import sys

from tuchuang.cli import main

sys.exit(main())
