"""Debian's headless Chromium driven from tests: screenshot a page, dump its DOM after layout.

Each call starts its own Chromium with a throwaway profile directory (so parallel calls do not
share a profile lock) and blocks until it exits or `timeout_s` passes. scripts/bootstrap.sh
installs the `chromium` package and a CJK font (fonts-noto-cjk), without which Chinese text is
drawn as empty boxes.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

WIDTH = 1280
HEIGHT = 6000  # tall enough for the whole annual report page in one screenshot


class ChromiumError(Exception):
    """Chromium is not installed, did not finish in time, or produced no output."""


def binary() -> str | None:
    return shutil.which("chromium")


def _url(url_or_path: str | Path) -> str:
    s = str(url_or_path)
    return s if "://" in s else Path(s).resolve().as_uri()


def _run(args: list[str], timeout_s: float) -> subprocess.CompletedProcess[bytes]:
    exe = binary()
    if exe is None:
        raise ChromiumError("chromium is not on PATH; scripts/bootstrap.sh installs Debian's chromium package")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ChromiumError(f"chromium did not finish within {timeout_s} s: {' '.join(cmd)}") from exc
    if done.returncode != 0:
        raise ChromiumError(f"chromium exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}")
    return done


def screenshot(url_or_path: str | Path, png_path: str | Path, *, width: int = WIDTH, height: int = HEIGHT,
               timeout_s: float = 120) -> Path:
    """Screenshot a URL (http://..., file://...) or a local file to `png_path`; returns that path."""
    png = Path(png_path).resolve()
    png.unlink(missing_ok=True)
    done = _run([f"--window-size={width},{height}", f"--screenshot={png}", _url(url_or_path)], timeout_s)
    if not png.is_file() or png.stat().st_size == 0:
        raise ChromiumError(f"chromium wrote no screenshot: {done.stderr.decode(errors='replace')[-2000:]}")
    return png


def dump_dom(url_or_path: str | Path, *, timeout_s: float = 120) -> str:
    """The page's DOM as serialised by Chromium after loading it."""
    return _run(["--dump-dom", _url(url_or_path)], timeout_s).stdout.decode("utf-8")


def pixels_near(colours: list[tuple[int, tuple[int, int, int]]], hex_colour: str, tolerance: int = 6) -> int:
    """Pixels of a screenshot's `getcolors()` within `tolerance` per channel of `hex_colour`
    ("#2b6cb0"; antialiased edges differ slightly)."""
    want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(n for n, rgb in colours if all(abs(a - b) <= tolerance for a, b in zip(rgb, want, strict=True)))
