import signal
import sys

# Ctrl-C while the modules load: leave quietly, there is nothing to clean up yet.
signal.signal(signal.SIGINT, lambda signum, frame: sys.exit(130))
from .cli import run  # noqa: E402

signal.signal(signal.SIGINT, signal.default_int_handler)
run()
