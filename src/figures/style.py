"""One house style for every chart: Okabe-Ito colours, matplotlib's bundled DejaVu Sans, fixed
sizes, a source line under each figure, and a byte-reproducible `save_figure`.

Nothing here changes global matplotlib state at import time: `figure_style()` is a context manager
that applies the style's rcParams only inside its `with` block. Inside it, text is never
interpreted: mathtext (`$...$`) and usetex are off, so labels from config and data are drawn
character for character.

    with figure_style():
        fig = new_figure(7.0, 4.0)
        ...
        add_source_note(fig, "Source: ...")
    save_figure(fig, Path("reports/figures/x"))   # -> [x.png, x.svg]
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# --- colours -------------------------------------------------------------------------------------
# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency. Grey (#999999) is the ninth colour of R's palette.colors("Okabe-Ito").
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
# Semantic colours, used the same way in every chart.
WOMEN = OKABE_ITO["orange"]
MEN = OKABE_ITO["blue"]
ALL = OKABE_ITO["black"]
INTERACTION = OKABE_ITO["reddish_purple"]
BASELINE = OKABE_ITO["grey"]
ENDLINE = OKABE_ITO["black"]
IDI = OKABE_ITO["bluish_green"]
FGD = OKABE_ITO["reddish_purple"]
TEXT = "#222222"  # near-black for text and axes
MUTED = "#555555"  # secondary text (n, notes)
GRID = "#DDDDDD"

# --- fonts and sizes (points / inches) ------------------------------------------------------------
FONT_FAMILY = "DejaVu Sans"  # ships with matplotlib, so output does not depend on system fonts
BASE_SIZE = 9.0
SMALL_SIZE = 8.0
TITLE_SIZE = 11.0
NOTE_SIZE = 7.5
FIG_WIDTH = 7.0  # fits a portrait A4/Letter text block
DPI = 300
SVG_HASHSALT = "peace-of-mind"

RC: dict[str, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT_FAMILY],
    "font.size": BASE_SIZE,
    "mathtext.fontset": "dejavusans",
    # text is drawn as written ("$x$" stays "$x$": no mathtext, no LaTeX), whatever a local
    # matplotlibrc says; charts take their labels from config and data
    "text.parse_math": False,
    "text.usetex": False,
    "text.color": TEXT,
    "axes.titlesize": BASE_SIZE + 0.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 6.0,
    "axes.labelsize": BASE_SIZE,
    "axes.labelcolor": TEXT,
    "axes.edgecolor": "#666666",
    "axes.linewidth": 0.7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.axisbelow": True,
    "axes.unicode_minus": True,
    "axes.prop_cycle": mpl.cycler(
        color=[
            OKABE_ITO[k]
            for k in (
                "blue",
                "orange",
                "bluish_green",
                "vermillion",
                "reddish_purple",
                "sky_blue",
                "yellow",
                "black",
            )
        ]
    ),
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.labelsize": SMALL_SIZE,
    "ytick.labelsize": SMALL_SIZE,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "xtick.labelcolor": TEXT,
    "ytick.labelcolor": TEXT,
    "xtick.major.size": 3.0,
    "ytick.major.size": 0.0,
    "legend.fontsize": SMALL_SIZE,
    "legend.frameon": False,
    "legend.handlelength": 1.4,
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "figure.titlesize": TITLE_SIZE,
    "figure.titleweight": "bold",
    "figure.constrained_layout.h_pad": 0.08,
    "figure.constrained_layout.w_pad": 0.1,
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    "savefig.bbox": None,  # keep the figure size we designed (no tight-bbox cropping)
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without the font installed
    "svg.hashsalt": SVG_HASHSALT,
    "path.simplify": True,
}


@contextmanager
def figure_style(**overrides) -> Iterator[None]:
    """Apply the house style (plus any rcParams `overrides`) inside a `with` block only."""
    with mpl.rc_context({**RC, **overrides}):
        yield


def new_figure(width: float = FIG_WIDTH, height: float = 4.0, **kwargs) -> Figure:
    """A constrained-layout Figure at the output resolution (so text is measured as it will be
    drawn), with an Agg canvas attached (no pyplot, no global figure registry)."""
    kwargs.setdefault("dpi", DPI)
    fig = Figure(figsize=(width, height), layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _renderer(fig: Figure):
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _frac_height(fig: Figure, artist) -> float:
    return artist.get_window_extent(_renderer(fig)).height / (fig.get_figheight() * fig.dpi)


def _set_layout_rect(fig: Figure, *, top: float | None = None, bottom: float | None = None) -> None:
    """Keep the constrained layout of the Axes between a reserved header (top) and footer
    (bottom)."""
    rect = fig.__dict__.setdefault("_house_style_rect", {"top": 1.0, "bottom": 0.0})
    if top is not None:
        rect["top"] = top
    if bottom is not None:
        rect["bottom"] = bottom
    engine = fig.get_layout_engine()
    if engine is not None and "rect" in engine.get():
        engine.set(
            rect=(0, rect["bottom"], 1, rect["top"] - rect["bottom"])
        )  # (left, bottom, width, height)
    else:
        fig.subplots_adjust(top=rect["top"] - 0.05, bottom=rect["bottom"] + 0.08)


def _wrap_to_width(fig: Figure, text: str, fontsize: float, max_width_px: float, **text_kw) -> str:
    """Wrap `text` (keeping its own line breaks) so every line fits in `max_width_px` when drawn."""
    renderer = _renderer(fig)
    probe = fig.text(0, 0, "", fontsize=fontsize, **text_kw)
    try:
        # Start from a generous character estimate, shrink until every line fits.
        chars = max(20, int(max_width_px / (fontsize * fig.dpi / 72 * 0.45)))
        while True:
            lines = []
            for para in text.split("\n"):
                lines.extend(textwrap.wrap(para, chars, break_on_hyphens=False) or [""])
            wrapped = "\n".join(lines)
            probe.set_text(wrapped)
            if probe.get_window_extent(renderer).width <= max_width_px or chars <= 20:
                return wrapped
            chars -= 2
    finally:
        probe.remove()


def add_header(
    fig: Figure,
    title: str,
    *,
    handles: list | None = None,
    ncols: int | None = None,
    x: float = 0.012,
) -> None:
    """A left-aligned bold title (wrapped to the figure width) and, if `handles` are given, a legend
    under it; the strip they take is reserved so the Axes are laid out below it.

    Call once per figure, after the Axes exist. The legend gets as many columns as fit the width.
    """
    width_px = fig.get_figwidth() * fig.dpi * (1 - 2 * x) * 0.97
    size = TITLE_SIZE
    wrapped = _wrap_to_width(fig, title, size, width_px, fontweight="bold")
    y = 1 - 0.08 / fig.get_figheight()  # 0.08 inch from the top edge
    t = fig.text(
        x,
        y,
        wrapped,
        ha="left",
        va="top",
        fontsize=size,
        fontweight="bold",
        color=TEXT,
        gid="figure-title",
    )
    t.set_in_layout(False)
    y -= _frac_height(fig, t) + 0.06 / fig.get_figheight()
    if handles:
        ncols = ncols or len(handles)
        while True:
            leg = fig.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(x - 0.003, y),
                bbox_transform=fig.transFigure,
                ncols=ncols,
                borderaxespad=0.0,
                borderpad=0.2,
                columnspacing=1.6,
            )
            if leg.get_window_extent(_renderer(fig)).width <= width_px or ncols == 1:
                break
            leg.remove()
            ncols -= 1
        leg.set_in_layout(False)
        y -= _frac_height(fig, leg)
    _set_layout_rect(fig, top=y - 0.04 / fig.get_figheight())


def add_title(fig: Figure, title: str) -> None:
    """Title only (see `add_header`)."""
    add_header(fig, title)


def add_source_note(fig: Figure, source: str, note: str | None = None, *, x: float = 0.012) -> None:
    """Write `note` (if any) and the `source` line at the bottom-left of `fig`, wrapped to the
    figure width, and reserve that strip so the constrained layout keeps every Axes above it.

    Call it after the Axes exist and before saving; it measures the wrapped text with the Agg
    renderer.
    """
    parts = [p for p in (note, source) if p]
    if not parts:
        return
    width_px = fig.get_figwidth() * fig.dpi * (1 - 2 * x) * 0.97
    wrapped = "\n".join(_wrap_to_width(fig, p, NOTE_SIZE, width_px) for p in parts)
    y = 0.08 / fig.get_figheight()
    txt = fig.text(
        x,
        y,
        wrapped,
        ha="left",
        va="bottom",
        fontsize=NOTE_SIZE,
        color=MUTED,
        linespacing=1.35,
        gid="source-note",
    )
    txt.set_in_layout(False)
    _set_layout_rect(fig, bottom=min(0.5, y + _frac_height(fig, txt) + 0.06 / fig.get_figheight()))


def save_figure(fig: Figure, out_stem: Path) -> list[Path]:
    """Write `<out_stem>.png` (300 dpi) and `<out_stem>.svg` byte-reproducibly, then close `fig`.

    Reproducibility: PNG without the 'Software' text chunk (and no time chunk); SVG with a fixed
    `svg.hashsalt` and without the 'Date' and 'Creator' metadata, glyphs written as paths.
    """
    out_stem = Path(out_stem)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    png = out_stem.parent / f"{out_stem.name}.png"
    svg = out_stem.parent / f"{out_stem.name}.svg"
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    try:
        with figure_style():
            freeze_layout(fig)
            fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
            fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        close_figure(fig)
    return [png, svg]


def freeze_layout(fig: Figure, decimals: int = 5) -> None:
    """Run the figure's layout engine once, round every Axes position and switch the engine off.

    Constrained layout solves its constraints with kiwisolver, whose results differ between runs in
    the last bits of a float; those bits reach the SVG through the hashed clip-path ids. Rounded,
    frozen positions make PNG and SVG byte-identical between runs, and give both the same layout.
    """
    engine = fig.get_layout_engine()
    if engine is None or not hasattr(engine, "execute"):
        return
    engine.execute(fig)
    for ax in fig.axes:
        ax.set_position([round(v, decimals) for v in ax.get_position(original=False).bounds])
    fig.set_layout_engine("none")


def close_figure(fig: Figure) -> None:
    """Release `fig`: drop it from pyplot's registry if it is there (a no-op for `new_figure()`
    figures)."""
    import matplotlib.pyplot as plt  # imported lazily: building charts never needs pyplot

    plt.close(fig)
