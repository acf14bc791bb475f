"""The CJK font the PDF forms embed: Noto Sans CJK SC, from Debian's fonts-noto-cjk
(scripts/fonts installs it; PyPI ships no CJK font)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FAMILY = "Noto Sans CJK SC"
# Where Debian and most distributions put it; fc-match finds it elsewhere.
KNOWN_PATHS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
)


@dataclass(frozen=True)
class CjkFont:
    path: str
    index: int  # the face within a collection (.ttc)


class NoCjkFont(LookupError):
    """No CJK font on this machine: scripts/fonts installs fonts-noto-cjk."""


def _face(path: Path) -> CjkFont | None:
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() == ".ttc":
        collection = TTCollection(str(path), lazy=True)
        try:
            names = [face["name"].getDebugName(1) for face in collection.fonts]
        finally:
            collection.close()
        return CjkFont(str(path), names.index(FAMILY)) if FAMILY in names else None
    with TTFont(str(path), lazy=True):
        return CjkFont(str(path), 0)


@cache
def cjk_font() -> CjkFont:
    candidates = [p for p in KNOWN_PATHS if p.exists()]
    if not candidates and shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", f"{FAMILY}:lang=zh-cn"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if found and "CJK" in found:
            candidates.append(Path(found))
    for path in candidates:
        face = _face(path)
        if face is not None:
            return face
    raise NoCjkFont("no CJK font for PDF: install fonts-noto-cjk (scripts/fonts)")
