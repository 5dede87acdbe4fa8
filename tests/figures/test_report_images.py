"""The report embeds each chart at most 1400 px wide (the 300 dpi files stay for print)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from figures.report import REPORT_IMAGE_WIDTH, report_png


def _chart(path: Path, width: int, height: int) -> Path:
    """A chart-like RGBA PNG: white, a black frame and an orange bar."""
    pixels = np.full((height, width, 4), 255, dtype=np.uint8)
    pixels[:4, :] = pixels[-4:, :] = pixels[:, :4] = pixels[:, -4:] = (0, 0, 0, 255)
    pixels[height // 3 : height // 2, width // 5 : width // 2] = (230, 159, 0, 255)
    Image.fromarray(pixels, "RGBA").save(path)
    return path


def test_a_wide_chart_is_embedded_at_the_report_width_keeping_its_shape(tmp_path):
    png = _chart(tmp_path / "wide.png", 2100, 6000)
    data = report_png(png)
    assert data == report_png(png)  # byte-deterministic
    small = Image.open(io.BytesIO(data))
    assert small.width == REPORT_IMAGE_WIDTH and small.height == 4000
    # the colours survive the palette: the bar is still orange, the background white
    rgb = small.convert("RGB")
    assert rgb.getpixel((500, 1666)) == (230, 159, 0) and rgb.getpixel((1200, 3500)) == (255,) * 3
    assert len(data) < png.stat().st_size


def test_a_chart_already_narrow_is_embedded_as_written(tmp_path):
    png = _chart(tmp_path / "narrow.png", 900, 500)
    assert report_png(png) == png.read_bytes()
