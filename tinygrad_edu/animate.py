"""Backprop on a slide: an animated GIF with one frame per row of the trace.

``render_animation(y, "backprop.gif")`` draws every step of ``steps(y)`` with
``draw_dot(y, step=...)`` and strings the frames together with Pillow. Every frame of a walk
has the same geometry (``viz._Frame`` says how), so the nodes stay where they are. The last
frame stays up longer, so the finished table can be read before the loop starts again.
"""
from __future__ import annotations

import io
import os

from . import checks
from .engine import Value
from .stepper import MODES, steps
from .viz import draw_dot

__all__ = ["render_animation", "frames"]

PILLOW_HELP = ("render_animation writes GIFs with Pillow, which is not installed: "
               "pip install 'tinygrad_edu[gif]' (or pip install Pillow)")


def frames(y: Value, mode: str = "reverse", seed=None, rankdir: str = "TB",
           dpi: int = 110) -> list:
    """One PNG picture (bytes) per step of ``steps(y, mode, seed)``, every node in place."""
    checks.one_of(mode, MODES, "render_animation: mode")
    dpi = checks.whole(dpi, "render_animation: dpi", 30, 600)
    pictures = []
    for step in steps(y, mode=mode, seed=seed):
        picture = draw_dot(y, step=step, rankdir=rankdir, format="png")
        picture.attr(dpi=str(dpi), bgcolor="white")
        pictures.append(picture.pipe(format="png"))
    return pictures


def render_animation(y: Value, path, mode: str = "reverse", seed=None, rankdir: str = "TB",
                     dpi: int = 110, seconds_per_step: float = 1.6,
                     pause: float = 5.0) -> str:
    """Write backprop on ``y`` as an animated GIF at ``path``; returns ``path``.

    * ``mode`` and ``seed``: one frame per row of :func:`~tinygrad_edu.stepper.steps`'s walk.
    * ``rankdir``: "TB" (default: inputs on top, a shape that fits a 16:9 slide) or "LR".
    * ``dpi``: 110 gives text about as large as a slide's body text on a 1280-pixel-wide slide.
    * ``seconds_per_step`` per frame, and ``pause`` on the last frame.

    Needs Graphviz's ``dot`` and Pillow (the ``gif`` extra).
    """
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(PILLOW_HELP) from None
    seconds_per_step = checks.in_range(seconds_per_step, "render_animation: seconds_per_step",
                                       0.02, 600)
    pause = checks.in_range(pause, "render_animation: pause (seconds)", 0.02, 600)
    path = os.fspath(path)
    if not path.lower().endswith(".gif"):
        raise ValueError(f"render_animation writes a GIF: end the file name with .gif, "
                         f"got {path!r}")
    images = [Image.open(io.BytesIO(png)).convert("RGB")
              for png in frames(y, mode, seed, rankdir, dpi)]
    indexed = _one_palette(images, Image)
    durations = [round(seconds_per_step * 1000)] * (len(indexed) - 1) + [round(pause * 1000)]
    indexed[0].save(path, save_all=True, append_images=indexed[1:], duration=durations,
                    loop=0, optimize=False, disposal=1)
    return path


def _one_palette(images, Image) -> list:
    """The frames on one white canvas of the largest frame's size, in one shared 255-colour
    palette (taken from all of them together).

    The nodes sit at the same place in every frame; only the caption can make one frame a
    few pixels wider, and a GIF needs one size. With one palette a pixel that does not change
    keeps its index, so each frame after the first stores only what changed (half the file),
    and no colour flickers between frames.
    """
    width = max(im.width for im in images)
    height = max(im.height for im in images)
    sheet = Image.new("RGB", (width, height * len(images)), "white")
    for k, im in enumerate(images):
        sheet.paste(im, (0, k * height))
    palette = sheet.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    indexed = [sheet.crop((0, k * height, width, (k + 1) * height))
               .quantize(palette=palette, dither=Image.Dither.NONE) for k in range(len(images))]
    background = indexed[0].getpixel((0, 0))  # the margin: the paper stays pure white
    colours = indexed[0].getpalette()
    colours[3 * background:3 * background + 3] = [255, 255, 255]
    for im in indexed:
        im.putpalette(colours)
    return indexed
