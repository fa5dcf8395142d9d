#!/usr/bin/env python3
"""Write the blank exercises notebook from the solved one: notebooks/solutions/exercises.py →
notebooks/exercises.py (both jupytext text twins; the notebook sync makes the .ipynb files).

In the solved copy every answer sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``.
The blank copy replaces each such block with ``...`` at the block's indentation, or with the
lines given after an arrow (``### BEGIN SOLUTION -> answer = ... ; other = [..., ...]``,
lines separated by " ; "); a line mentioning "Solved copy" is dropped. ``--check`` exits 1 if
notebooks/exercises.py is not what this script would write.
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLVED = ROOT / "notebooks" / "solutions" / "exercises.py"
BLANK = ROOT / "notebooks" / "exercises.py"
BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION(?:\s*->\s*(.*))?$")
END = re.compile(r"^\s*### END SOLUTION\s*$")


def blank(text: str) -> str:
    """The solved notebook's text with every solution block replaced by its blank."""
    out, inside = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise SystemExit(f"line {number}: BEGIN SOLUTION inside a solution block")
            indent, replacement = begin.group(1), begin.group(2)
            lines = replacement.split(" ; ") if replacement else ["...  # your answer"]
            out += [indent + part.strip() for part in lines]
            inside = True
        elif END.match(line):
            if not inside:
                raise SystemExit(f"line {number}: END SOLUTION without BEGIN")
            inside = False
        elif not inside and "Solved copy" not in line:
            out.append(line)
    if inside:
        raise SystemExit("a solution block is not closed")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    text = blank(SOLVED.read_text(encoding="utf-8"))
    if args.check:
        current = BLANK.read_text(encoding="utf-8") if BLANK.exists() else ""
        if current != text:
            print(f"{BLANK.relative_to(ROOT)} is stale: run scripts/make_exercises.py")
            return 1
        return 0
    BLANK.write_text(text, encoding="utf-8")
    print(f"wrote {BLANK.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
