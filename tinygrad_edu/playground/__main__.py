"""``python -m tinygrad_edu.playground [--port 8000]``."""
import sys

from .server import main

sys.exit(main())
