"""``python -m tinygrad_edu``: the same command line as ``tinygrad-edu``."""
import sys

from .cli import main

sys.exit(main())
