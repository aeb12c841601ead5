"""Render the PWA icons in static/img/icons/ from static/img/logo.svg with Chromium.

    PYTHONPATH=$PWD .venv/bin/python scripts/make_pwa_icons.py

"any" icons are the logo as drawn (a rounded square on transparency); the maskable icon and the
Apple touch icon are full-bleed squares of the logo's gradient with the mark inside the central
safe circle (80% of the side), since launchers and iOS cut their own shape out of them.
Run it again only when the logo changes, and commit the PNGs.
"""

import os
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
LOGO = (ROOT / "static" / "img" / "logo.svg").read_text(encoding="utf-8")
OUT = ROOT / "static" / "img" / "icons"


def full_bleed(svg: str) -> str:
    """The logo's mark on a square of its gradient, with room around it (viewBox -2..34)."""
    svg = svg.replace('viewBox="0 0 32 32"', 'viewBox="-2 -2 36 36"')
    return re.sub(r'<rect width="32" height="32" rx="8"',
                  '<rect x="-2" y="-2" width="36" height="36"', svg)


ICONS = [
    ("icon-192.png", 192, LOGO),
    ("icon-512.png", 512, LOGO),
    ("icon-maskable-512.png", 512, full_bleed(LOGO)),
    ("apple-touch-icon.png", 180, full_bleed(LOGO)),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--headless=new", "--no-sandbox", "--disable-gpu"])
        for name, size, svg in ICONS:
            page = browser.new_page(viewport={"width": size, "height": size})
            sized = svg.replace('width="32" height="32"', f'width="{size}" height="{size}"', 1)
            page.set_content(
                f"<html><body style='margin:0;background:transparent'>{sized}</body></html>")
            page.locator("svg").screenshot(path=str(OUT / name), omit_background=True)
            page.close()
            print(OUT / name)
        browser.close()


if __name__ == "__main__":
    main()
