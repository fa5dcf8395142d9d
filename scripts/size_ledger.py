"""How the package's size changed since a commit, issue by issue.

Issue 14 asks that the package (``tinygrad_edu/**/*.py``) end smaller than the 7,421 lines it
had when the issue was filed (commit 9ace1b7), while other issues asked for whole new
features.  This script makes that accounting checkable: it sums each commit's net line change
under ``tinygrad_edu/`` and files it under the issue named for that commit in
``scripts/size_ledger.tsv`` (commit, issue, subject).  A commit that is not listed is
reported, so nothing is left out.

    python scripts/size_ledger.py            # since 9ace1b7, up to HEAD
    python scripts/size_ledger.py --list     # every commit with its delta and issue

Needs the git history (a shallow clone cannot answer).
"""

import argparse
import collections
import pathlib
import subprocess

BASE = "9ace1b7"
TAGS = pathlib.Path(__file__).with_name("size_ledger.tsv")


def package_lines(rev: str) -> int:
    """``wc -l`` of every ``tinygrad_edu/**/*.py`` at ``rev``."""
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "tinygrad_edu"],
                           capture_output=True, text=True, check=True).stdout.split()
    return sum(subprocess.run(["git", "show", f"{rev}:{name}"], capture_output=True,
                              check=True).stdout.count(b"\n")
               for name in names if name.endswith(".py"))


def commit_deltas(base: str) -> list:
    """(commit, net lines added under tinygrad_edu/, subject) for each non-merge commit."""
    log = subprocess.run(["git", "log", "--no-merges", "--reverse", "--numstat",
                          "--format=@@%h %s", f"{base}..HEAD", "--", "tinygrad_edu"],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in log.splitlines():
        if line.startswith("@@"):
            commit, _, subject = line[2:].partition(" ")
            rows.append([commit, 0, subject])
        elif line.strip():
            added, removed, _ = line.split("\t", 2)
            if added != "-":
                rows[-1][1] += int(added) - int(removed)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE, help=f"the starting commit (default {BASE})")
    parser.add_argument("--list", action="store_true", help="print every commit")
    args = parser.parse_args()
    tags = {}
    for line in TAGS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            commit, issue, *_ = line.split("\t")
            tags[commit] = issue
    by_issue = collections.Counter()
    untagged = []
    for commit, delta, subject in commit_deltas(args.base):
        issue = next((tags[c] for c in tags if commit.startswith(c) or c.startswith(commit)),
                     None)
        if issue is None:
            untagged.append((commit, delta, subject))
            issue = "untagged"
        by_issue[issue] += delta
        if args.list:
            print(f"{delta:+6d}  issue {issue:>8}  {commit}  {subject[:80]}")
    before, after = package_lines(args.base), package_lines("HEAD")
    print(f"package at {args.base}: {before:,} lines; at HEAD: {after:,} ({after - before:+,})")
    for issue, delta in sorted(by_issue.items()):
        print(f"  issue {issue:>8}: {delta:+6,d}")
    merges = after - before - sum(by_issue.values())
    if merges:
        print(f"  merge commits (conflicts resolved by hand): {merges:+,}")
    own = by_issue.get("14", 0) + merges  # merges counted against issue 14, to be safe
    print(f"without the other issues' commits: {before + own:,} lines "
          f"({'smaller' if own < 0 else 'not smaller'} than {before:,})")
    for commit, delta, subject in untagged:
        print(f"untagged {commit} {delta:+d} {subject[:70]}")


if __name__ == "__main__":
    main()
