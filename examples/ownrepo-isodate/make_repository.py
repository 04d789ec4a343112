"""Make the walkthrough's repository from isodate 0.6.1's sdist (docs/repository.md).

    python3 make_repository.py isodate-0.6.1.tar.gz [DEST]

DEST (default: ``isodate`` next to this script) becomes a git repository whose ``main`` holds
the release with two bugs planted, and one branch per task with its solution:
``fix-month-end``, ``fix-comma-decimals`` and ``add-duration-seconds`` (built on the comma
fix). Each planted change must apply exactly once, so a different release is refused.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

RELEASE = "isodate-0.6.1"
LEAP_RULE = "    if ((year % 400) == 0) or ((year % 100) != 0) and ((year % 4) == 0):\n"
PLANTED_LEAP_RULE = "    if (year % 4) == 0:\n"
COMMA = "groups[key] = float(groups[key][:-1].replace(',', '.'))"
PLANTED_COMMA = "groups[key] = float(groups[key][:-1])"
DURATION_SECONDS = '''

def duration_seconds(datestring):
    """
    The total seconds of an ISO 8601 duration without years or months.

    Years and months have no fixed length: a duration with either raises
    ISO8601Error.
    """
    duration = parse_duration(datestring)
    if isinstance(duration, Duration):
        raise ISO8601Error(
            "%r has years or months, which have no fixed length" % datestring)
    return duration.total_seconds()
'''


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"{path}: expected {old!r} once; is this {RELEASE}?")
    path.write_text(text.replace(old, new))


def git(repository: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=walkthrough", "-c", "user.email=walkthrough@localhost", *args],
        cwd=repository,
        check=True,
        capture_output=True,
    )


def make(sdist: Path, dest: Path) -> None:
    if dest.exists():
        raise SystemExit(f"{dest} exists; remove it or choose another destination")
    with tarfile.open(sdist) as archive:
        archive.extractall(dest.parent, filter="data")
    (dest.parent / RELEASE).rename(dest)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", f"{RELEASE} as released")
    duration = dest / "src/isodate/duration.py"
    isoduration = dest / "src/isodate/isoduration.py"
    replace_once(duration, LEAP_RULE, PLANTED_LEAP_RULE)
    replace_once(isoduration, COMMA, PLANTED_COMMA)
    git(dest, "commit", "-qam", "Simplify the leap-year rule and the number parsing (planted bugs)")
    git(dest, "checkout", "-qb", "fix-month-end")
    replace_once(duration, PLANTED_LEAP_RULE, LEAP_RULE)
    git(dest, "commit", "-qam", "Century years are leap years only when divisible by 400")
    git(dest, "checkout", "-q", "main")
    git(dest, "checkout", "-qb", "fix-comma-decimals")
    replace_once(isoduration, PLANTED_COMMA, COMMA)
    git(dest, "commit", "-qam", "Accept a comma as the decimal sign")
    git(dest, "checkout", "-qb", "add-duration-seconds")
    isoduration.write_text(isoduration.read_text() + DURATION_SECONDS)
    replace_once(
        dest / "src/isodate/__init__.py",
        "from isodate.isoduration import parse_duration, duration_isoformat\n",
        "from isodate.isoduration import parse_duration, duration_isoformat\n"
        "from isodate.isoduration import duration_seconds\n",
    )
    replace_once(
        dest / "src/isodate/__init__.py",
        "'duration_isoformat', ",
        "'duration_isoformat', 'duration_seconds', ",
    )
    git(dest, "commit", "-qam", "Add duration_seconds()")
    git(dest, "checkout", "-q", "main")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    target = Path(sys.argv[2]) if len(sys.argv) == 3 else Path(__file__).parent / "isodate"
    make(Path(sys.argv[1]), target.resolve())
    print(f"made {target}: main holds the planted bugs; solutions on three branches")
