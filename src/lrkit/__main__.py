"""`python -m lrkit`: the command-line interface."""

import sys

from lrkit.cli import main

sys.exit(main())
