"""Figures drawn while the documentation builds (not part of the gallery).

``make_architecture_figure`` draws the schematic of the networks and the
adversarial game used in the user guide. It needs matplotlib only, no training.
"""

from pathlib import Path


def _box(ax, xy, text, colour, width=1.5, height=0.8):
    from matplotlib.patches import FancyBboxPatch

    x, y = xy
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.05,rounding_size=0.15",
            facecolor=colour,
            edgecolor="black",
            linewidth=1.0,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=12)


def _arrow(ax, start, end, text=None, offset=(0, 0.18), style="-|>", colour="black", linestyle="-"):
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops=dict(
            arrowstyle=style, color=colour, linewidth=1.2, linestyle=linestyle, shrinkA=0, shrinkB=0
        ),
    )
    if text:
        ax.text(
            (start[0] + end[0]) / 2 + offset[0],
            (start[1] + end[1]) / 2 + offset[1],
            text,
            ha="center",
            va="bottom",
            fontsize=10,
            color=colour,
        )


def make_architecture_figure(path):
    """Draw encoder, generator and the two critics; write a PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.6))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set(xlim=(0, 11), ylim=(0, 5.2))
    ax.axis("off")

    data, network, critic, code = "#e8f1fb", "#fde9c9", "#f6d5d5", "#e3f4e1"
    _box(ax, (1.0, 3.6), "sample x\n(standardised)", data, width=1.8)
    _box(ax, (3.4, 3.6), "encoder E", network)
    _box(ax, (5.6, 3.6), "code E(x)", code)
    _box(ax, (7.8, 3.6), "generator G", network)
    _box(ax, (10.0, 3.6), "G(E(x))", data)
    _box(ax, (5.6, 1.2), "prior\nz ~ N(0, I)", code, width=1.7)
    _box(ax, (7.8, 1.2), "G(z)", data)
    _box(ax, (3.4, 1.2), "critic on\ncodes C_z", critic, width=1.7, height=0.9)
    _box(ax, (10.0, 1.2), "critic on\nsamples C_x", critic, width=1.7, height=0.9)

    _arrow(ax, (1.85, 3.6), (2.65, 3.6))
    _arrow(ax, (4.15, 3.6), (4.85, 3.6))
    _arrow(ax, (6.35, 3.6), (7.05, 3.6))
    _arrow(ax, (8.55, 3.6), (9.25, 3.6))
    _arrow(ax, (6.55, 1.2), (7.05, 1.2))
    _arrow(ax, (7.8, 3.2), (7.8, 1.6), colour="grey", linestyle="--")
    ax.text(7.9, 2.4, "same G", fontsize=10, color="grey", va="center")
    # the code critic compares encoded codes with prior codes
    _arrow(ax, (5.6, 3.2), (3.9, 1.65), colour="tab:red")
    _arrow(ax, (4.65, 1.2), (4.25, 1.2), colour="tab:red")
    ax.text(3.4, 0.45, "tells E(x) from z", ha="center", fontsize=10.5, color="tab:red")
    # the sample critic compares real samples with generated ones
    _arrow(ax, (8.55, 1.2), (9.15, 1.2), colour="tab:red")
    ax.annotate(
        "",
        xy=(9.6, 1.65),
        xytext=(1.3, 3.2),
        arrowprops=dict(
            arrowstyle="-|>", color="tab:red", linewidth=1.0, connectionstyle="arc3,rad=0.05"
        ),
    )
    ax.text(2.6, 2.55, "real x", fontsize=10.5, color="tab:red", rotation=-10)
    ax.text(10.0, 0.45, "tells x from G(z)", ha="center", fontsize=10.5, color="tab:red")
    # reconstruction loop
    ax.annotate(
        "",
        xy=(1.0, 4.0),
        xytext=(10.0, 4.0),
        arrowprops=dict(
            arrowstyle="<->", color="tab:blue", linewidth=1.0, connectionstyle="arc3,rad=0.18"
        ),
    )
    ax.text(
        5.5,
        4.95,
        "reconstruction  ||x − G(E(x))||²  (cycle consistency)",
        ha="center",
        fontsize=11,
        color="tab:blue",
    )
    fig.savefig(path, dpi=110)
    return path


def make_figures(outdir):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    make_architecture_figure(outdir / "architecture.png")
