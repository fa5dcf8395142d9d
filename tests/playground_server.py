"""A playground server on an ephemeral loopback port, for the API and browser tests."""
import threading
from contextlib import contextmanager

from tinygrad_edu.playground.server import create_server


@contextmanager
def serving(port=0, **options):
    """Serve the playground on 127.0.0.1 in a background thread; shut it down afterwards."""
    srv = create_server(port=port, **options)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)
