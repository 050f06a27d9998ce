"""What plot_sweep.py (a sweep's plots and index.html) and plot_run.py (one run's per-layer plots) share:
reading the JSON they plot, writing each figure as PNG and SVG, the notes of plots skipped for missing data,
the Pareto front, and the per-layer "value against its bound" chart. docs/sweeps.md, "Plots"."""

import json
import math
import os
import sys

# Exit statuses of the plotting scripts (vp_run and vp_sweep only warn on any of them but 0).
EXIT_OK, EXIT_PLOT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

try:
    import matplotlib
except ImportError:
    print(f"{os.path.basename(sys.argv[0])}: error: python3-matplotlib is not installed (tools/install-deps.sh "
          "installs it): no plots", file=sys.stderr)
    sys.exit(EXIT_PLOT_FAILED)

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.patches import Patch  # noqa: E402

# Text stays text in the SVGs (small files, searchable), and two runs on the same data write the same SVG
# bytes (no date, fixed ids), so a committed example plot only changes when the data or the code does.
matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "dnnvp", "font.size": 9})
SVG_METADATA = {"Date": None}
PNG_METADATA = {"Software": None}


class BadInput(Exception):
    """The input file is missing or not what the script plots: exit status 2, the message names the file."""


class Skip(Exception):
    """A plot the data cannot draw (a metric missing, nothing varies): a note instead of a file."""


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise BadInput(f"{path}: cannot read ({e.strerror})") from e
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from e


def number(value):
    """`value` as a finite float, or None (missing, null, text, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def pareto_front(items):
    """The items (cost, value, key) no other item dominates -- one at most as costly with at least as much
    value and better in one of them -- sorted by cost. Fewer PEs (or area) and more fps are better."""
    front = []
    for cost, value, key in sorted(items, key=lambda i: (i[0], -i[1])):
        if front and value <= front[-1][1]:
            continue  # an item at most as costly already gives at least this value
        front.append((cost, value, key))
    return front


class Plotter:
    """Writes figures into one directory as STEM.png and STEM.svg and keeps what became of each plot: the
    files written, the notes of the ones skipped, and the ones that failed."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.written = []  # (stem, title)
        self.notes = []  # text: plots skipped, points left out
        self.failed = []  # text: plots that raised
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as e:
            raise BadInput(f"{out_dir}: cannot create the plots' directory ({e.strerror})") from e

    def draw(self, stem, title, make):
        """Calls make() -> a matplotlib figure and saves it; a Skip becomes a note, any other exception a
        failure (the other plots are still drawn)."""
        try:
            fig = make()
        except Skip as e:
            self.notes.append(f"{title}: not drawn: {e}")
            return
        except Exception as e:  # noqa: BLE001  one plot's bug must not lose the others
            self.failed.append(f"{title}: failed: {type(e).__name__}: {e}")
            return
        try:
            fig.savefig(os.path.join(self.out_dir, stem + ".png"), dpi=110, metadata=PNG_METADATA)
            fig.savefig(os.path.join(self.out_dir, stem + ".svg"), metadata=SVG_METADATA)
        except OSError as e:
            self.failed.append(f"{title}: cannot write {os.path.join(self.out_dir, stem)}.*: {e.strerror}")
            return
        finally:
            plt.close(fig)
        self.written.append((stem, title))

    def report(self, tool):
        """Prints the notes and failures on stderr; the script's exit status."""
        for line in self.notes:
            print(f"{tool}: note: {line}", file=sys.stderr)
        for line in self.failed:
            print(f"{tool}: warning: {line}", file=sys.stderr)
        return EXIT_PLOT_FAILED if self.failed else EXIT_OK


def figure(width=7.0, height=4.2, rows=1):
    fig, axes = plt.subplots(rows, 1, figsize=(width, height * rows), squeeze=False, layout="constrained")
    return fig, [a[0] for a in axes]


def sizes_axis(ax, values):
    """A log-2 x axis for sizes (PEs, KiB) labelled with the values the points have, as plain numbers."""
    ticks = sorted(set(values))
    ax.set_xscale("log", base=2)
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.minorticks_off()


def spread_axis(ax, values):
    """A log y axis when the values span more than a factor of 10 (two networks' fps), else linear."""
    positive = [v for v in values if v > 0]
    if positive and max(positive) > 10 * min(positive):
        ax.set_yscale("log")


def layer_figure_width(count):
    """Wide enough for `count` rotated layer names side by side."""
    return max(7.0, min(40.0, 1.5 + 0.16 * count))


def bars_against_bound(ax, names, values, bounds, value_label, bound_label):
    """One bar per layer with its bound as a marker on it (a layer without a bound has no marker)."""
    x = range(len(names))
    ax.bar(x, values, color="tab:blue", label=value_label)
    marked = [(i, b) for i, b in zip(x, bounds) if b is not None]
    if marked:
        ax.scatter([i for i, _ in marked], [b for _, b in marked], marker="_", s=120, linewidths=2,
                   color="tab:red", zorder=3, label=bound_label)
    layer_axis(ax, names)
    ax.legend(loc="best")


def colour_legend(ax, colours):
    """A legend of {label: colour} (bars coloured one by one have no legend entries of their own)."""
    ax.legend(handles=[Patch(color=c, label=label) for label, c in colours.items()], loc="best")


def layer_axis(ax, names):
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=90, fontsize=7)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.grid(axis="y", alpha=0.3)
