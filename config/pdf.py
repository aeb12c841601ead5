"""What every PDF we write needs (ticket exports, usage statements): a Unicode font when the
machine has one, else the PDF core fonts with text they can draw."""

from pathlib import Path

# Regular, bold and monospace faces, the first family whose three files exist; without one,
# the PDF core fonts (Latin-1 only).
PDF_FONT_FAMILIES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf"),
)


def pdf_fonts() -> tuple[str, str, str] | None:
    """(regular, bold, mono) font files, or None when the machine has none of the families."""
    return next((faces for faces in PDF_FONT_FAMILIES
                 if all(Path(path).is_file() for path in faces)), None)


def latin1(value: str) -> str:
    """Text the core fonts can draw (Latin-1 only): what they cannot is replaced, not fatal."""
    value = value.replace("…", "...").replace("−", "-").replace("“", '"').replace("”", '"')
    return value.encode("latin-1", "replace").decode("latin-1")
