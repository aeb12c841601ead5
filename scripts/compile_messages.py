#!/usr/bin/env python3
"""Compile the committed catalogues (locale/<lang>/LC_MESSAGES/*.po) into the .mo files
Django reads, with polib: `make run`, `make test` and `make stack` call it, so no machine needs
GNU gettext's msgfmt (which Django's compilemessages runs). Only catalogues newer than their
.mo are compiled; fuzzy entries are left out, as msgfmt does."""

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def main() -> int:
    compiled = 0
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path))
        for entry in catalogue.fuzzy_entries():
            catalogue.remove(entry)
        catalogue.save_as_mofile(str(mo_path))
        compiled += 1
    print(f"compiled {compiled} catalogue(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
