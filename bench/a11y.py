"""Accessibility matrix (issue 21): every visitor and signed-in page of
tests/core/test_every_page_e2e.py at 1280 and 360 px, in the light and the dark theme, in each
of the five languages, in Chromium: nothing wider than the screen and 0 axe-core violations
(WCAG 2.1 A/AA and best practices, any impact). The suite runs one cell per width; this runs
all 20.

    make bench BENCH_ARGS="a11y"

Runs the test suite's own matrix test (MYBA_A11Y_MATRIX=1) with pytest against the services
`scripts/bench.sh` started (PostgreSQL, Redis), and prints each cell's result and how many
pages were checked; with MYBA_SHOTS_DIR set, a screenshot of every page is kept there.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = {**os.environ, "MYBA_A11Y_MATRIX": "1"}
    env.setdefault("CHROMIUM_PATH", "/usr/bin/chromium")
    started = time.monotonic()
    result = subprocess.run(
        [str(ROOT / ".venv/bin/pytest"), "tests/core/test_every_page_e2e.py", "-k", "matrix",
         "-p", "no:cacheprovider", "-n", str(os.cpu_count() or 2), "-rA", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True)
    cells = re.findall(r"^(PASSED|FAILED) \S+test_matrix\[(\d+)-(True|False)-(\w+)\]",
                       result.stdout, re.MULTILINE)
    from tests.core.test_every_page_e2e import USER_PAGES, VISITOR_PAGES

    pages = len(VISITOR_PAGES) + len(USER_PAGES)
    print(f"{'language':<9} {'width':>5} {'theme':<6} result")
    for outcome, width, dark, language in sorted(cells, key=lambda c: (c[3], c[1], c[2])):
        print(f"{language:<9} {width:>5} {'dark' if dark == 'True' else 'light':<6} {outcome}")
    failed = [cell for cell in cells if cell[0] == "FAILED"]
    print(f"\n{len(cells)} cells x {pages} pages = {len(cells) * pages} page checks, "
          f"{len(failed)} cells failed, {time.monotonic() - started:.0f} s")
    if failed or result.returncode:
        print(result.stdout[-6000:])
    return result.returncode


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    sys.exit(main())
