"""A neural-network playground in the browser, trained live by this engine.

``tinygrad-edu playground [--port 8000]`` (or ``python -m tinygrad_edu.playground``)
serves one page on 127.0.0.1: pick a data set and a network, press Play, and watch the
decision boundary, the loss curves and the weights change; in backprop mode, step through
the reverse adjoint trace of a small graph one row at a time — upstream × local.

Layout: ``settings`` (choices, limits, checks) → ``run`` (one training run, stepped per
minibatch) → ``worker`` (the process a run trains in) → ``session`` (one per tab: its
worker and latest snapshot) → ``server`` (HTTP + JSON); ``backprop`` builds the graphs and
rows of backprop mode; ``static/`` is the page.
"""
from .server import add_arguments, create_server, main, run_command, serve

__all__ = ["serve", "main", "create_server", "add_arguments", "run_command"]
