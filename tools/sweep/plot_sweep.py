#!/usr/bin/python3
"""plot_sweep.py DIR: the plots of a vp_sweep output directory and the page that shows them. Reads
DIR/results.json (and DIR/results.csv for the table), writes DIR/plots/STEM.png + STEM.svg:
  fps_vs_pes           frames per second against PEs (rows x cols), one series per network
  utilisation_layers   PE utilisation of every engine layer of every point (a heat map per network)
  dram_vs_buffer       DRAM MB against each buffer size the sweep varies
  pareto_fps_pes       the Pareto front of fps against PEs (and pareto_fps_area_mm2 / pareto_fps_lut when
                       the points have area or LUTs)
and DIR/index.html (static, no network: the plots and a sortable, filterable table of the points). Points
that did not pass are left out of the plots and listed; a plot without data is skipped with a note.
Exit status: 0, 1 (a plot failed; the rest is written), 2 (results.json unreadable).
docs/sweeps.md, "Plots"."""

import csv
import json
import os
import sys

import numpy as np

import dnnvp_plots as dp
import sweep_page

TOOL = "plot_sweep"
PASS = "pass"
# Costs the Pareto front is drawn against: (metric, axis label, drawn even when no point has it).
PARETO_COSTS = (("pes", "PEs (rows x cols)", True), ("area_mm2", "area (mm²)", False), ("lut", "LUTs", False))
BUFFER_FIELDS = ("_buffer_kib", "accumulator_depth")  # the scenario's buffer sizes (docs/scenarios.md)
LAYER_UTILISATION = "utilization"  # a layer's PE utilisation in results.json (layers.csv's column)


def value(point, name):
    """A point's `name`: its metric, else the swept field whose last path component it is."""
    metrics = point.get("metrics") or {}
    if name in metrics:
        return metrics[name]
    for path, v in (point.get("fields") or {}).items():
        if path.split(".")[-1] == name:
            return v
    return None


def network(point, default):
    """The point's network: the swept `network` (a sweep's `networks:`) or `network.*` field, else
    `default` (the sweep's name: one network)."""
    fields = point.get("fields") or {}
    name = next((v for p, v in fields.items() if p == "network" or p.startswith("network.")), None)
    return str(name) if name is not None else default


def metric(point, name):
    return dp.number(value(point, name))


def pes(point):
    return metric(point, "pes")


def by_network(points, default):
    """{network: its points}, in the order the networks first appear."""
    groups = {}
    for p in points:
        groups.setdefault(network(p, default), []).append(p)
    return groups


def values_text(point, axes):
    """The point's values of `axes`, short: `rows=8 cols=16`."""
    fields = point.get("fields") or {}
    return " ".join(f"{a.split('.')[-1]}={fields[a]}" for a in axes if a in fields)


def varying(points, axes):
    """The axes whose value differs between some of the points."""
    return [a for a in axes if len({json.dumps((p.get("fields") or {}).get(a)) for p in points}) > 1]


def series_plot(groups, x_of, y_of, what):
    """(group name, [(x, y, point)] sorted by x) for the points with both numbers; Skip if none has them."""
    out = []
    for net, group in groups.items():
        xy = sorted(((x_of(p), y_of(p), p) for p in group), key=lambda t: (t[0] is None, t[0] or 0))
        xy = [t for t in xy if t[0] is not None and t[1] is not None]
        if xy:
            out.append((net, xy))
    if not out:
        raise dp.Skip(f"no passed point has {what}")
    return out


def fps_vs_pes(groups):
    series = series_plot(groups, pes, lambda p: metric(p, "fps"), "both fps and pes")
    fig, (ax,) = dp.figure()
    for i, (net, xy) in enumerate(series):
        # Every point, and a line through the best of each PE count (the other axes differ between them).
        best = {}
        for x, y, _ in xy:
            best[x] = max(best.get(x, y), y)
        ax.scatter([t[0] for t in xy], [t[1] for t in xy], color=f"C{i}", s=18, alpha=0.6)
        ax.plot(list(best), list(best.values()), color=f"C{i}", marker="o", label=f"{net} (line: best per PE count)")
    dp.sizes_axis(ax, [t[0] for _, xy in series for t in xy])
    dp.spread_axis(ax, [t[1] for _, xy in series for t in xy])
    ax.set_xlabel("PEs (rows x cols)")
    ax.set_ylabel("frames per second")
    ax.set_title("fps against PEs")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    return fig


def utilisation_layers(groups, axes):
    maps = []  # (network, point labels, layer names, matrix)
    for net, group in groups.items():
        names, rows = [], []
        for p in group:
            util = {l.get("name"): dp.number(l.get(LAYER_UTILISATION)) for l in p.get("layers") or []}
            util = {k: v for k, v in util.items() if v is not None}
            if not util:
                continue
            names += [n for n in util if n not in names]
            rows.append((f"{p['id']} {values_text(p, varying(group, axes))}".strip(), util))
        if rows:
            matrix = np.array([[u.get(n, np.nan) for n in names] for _, u in rows])
            maps.append((net, [r[0] for r in rows], names, matrix))
    if not maps:
        raise dp.Skip(f"no passed point has layers with {LAYER_UTILISATION}")
    width = dp.layer_figure_width(max(len(m[2]) for m in maps)) + 2
    heights = [1.2 + 0.18 * len(m[1]) + 0.07 * max(len(n) for n in m[2]) for m in maps]
    fig = dp.plt.figure(figsize=(width, sum(heights)), layout="constrained")
    for ax, (net, point_labels, names, matrix) in zip(fig.subplots(len(maps), 1, squeeze=False,
                                                                   height_ratios=heights)[:, 0], maps):
        image = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", vmin=0.0, vmax=1.0, cmap="viridis",
                          interpolation="nearest")
        ax.set_yticks(range(len(point_labels)))
        ax.set_yticklabels(point_labels, fontsize=7)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=90, fontsize=7)
        ax.set_title(f"{net}: PE utilisation per layer (empty: the layer ran on the CPU or not at all)")
        fig.colorbar(image, ax=ax, label="PE utilisation", fraction=0.03)
    return fig


def buffer_names(points):
    """The buffer sizes the sweep varies: its fields *_buffer_kib and accumulator_depth, by short name."""
    names = []
    for p in points:
        names += [f.split(".")[-1] for f in p.get("fields") or {}
                  if f.endswith(BUFFER_FIELDS) and f.split(".")[-1] not in names]
    return [n for n in names if len({metric(p, n) for p in points} - {None}) > 1]


def dram_vs_buffer(points, axes):
    names = buffer_names(points)
    if not names:
        raise dp.Skip("the sweep varies no buffer size (hardware.*_buffer_kib, hardware.accumulator_depth)")
    fig, plots = dp.figure(rows=len(names))
    for ax, name in zip(plots, names):
        # A series per value of the other swept fields: only this buffer's size changes along it.
        others = [a for a in varying(points, axes) if a.split(".")[-1] != name]
        groups = {}
        for p in points:
            groups.setdefault(values_text(p, others) or "all points", []).append(p)
        series = series_plot(groups, lambda p: metric(p, name), lambda p: metric(p, "dram_mb"),
                             f"both dram_mb and {name}")
        for key, xy in series:
            ax.plot([t[0] for t in xy], [t[1] for t in xy], marker="o", label=key)
        dp.sizes_axis(ax, [t[0] for _, xy in series for t in xy])
        ax.set_xlabel(name)
        ax.set_ylabel("DRAM MB")
        ax.set_title(f"DRAM traffic against {name}")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=7)
    return fig


def pareto(groups, cost, cost_label):
    series = series_plot(groups, lambda p: metric(p, cost), lambda p: metric(p, "fps"), f"both fps and {cost}")
    fig, (ax,) = dp.figure()
    for i, (net, xy) in enumerate(series):
        colour = f"C{i}"
        ax.scatter([t[0] for t in xy], [t[1] for t in xy], color=colour, alpha=0.35, s=18)
        front = dp.pareto_front([(x, y, p.get("id", "?")) for x, y, p in xy])
        ax.plot([f[0] for f in front], [f[1] for f in front], color=colour, marker="o", drawstyle="steps-post",
                label=f"{net}: front ({len(front)} of {len(xy)})")
        for x, y, key in front:
            ax.annotate(key, (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    if cost == "pes":
        dp.sizes_axis(ax, [t[0] for _, xy in series for t in xy])
    dp.spread_axis(ax, [t[1] for _, xy in series for t in xy])
    ax.set_xlabel(cost_label)
    ax.set_ylabel("frames per second")
    ax.set_title(f"Pareto front: fps against {cost_label} (no other point is cheaper and faster)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    return fig


def read_table(out_dir, results):
    """The table of index.html: results.csv's header and rows when it exists, else the same built from
    results.json (id, fields, status, message, engine, wall_s, metrics)."""
    path = os.path.join(out_dir, "results.csv")
    if os.path.exists(path):
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        if rows:
            return rows[0], rows[1:]
    columns = ["id"]
    for p in results["points"]:
        keys = list(p.get("fields") or {}) + ["status", "message", "engine", "wall_s"] + list(p.get("metrics") or {})
        columns += [k for k in keys if k not in columns]

    def cell(p, c):
        for source in (p, p.get("fields") or {}, p.get("metrics") or {}):
            if c in source and not isinstance(source[c], (dict, list)):
                return "" if source[c] is None else str(source[c])
        return ""

    return columns, [[cell(p, c) for c in columns] for p in results["points"]]


def load(out_dir):
    path = os.path.join(out_dir, "results.json")
    results = dp.read_json(path)
    if not isinstance(results, dict) or not isinstance(results.get("points"), list):
        raise dp.BadInput(f"{path}: expected an object with a list `points` (vp_sweep's results.json)")
    for i, p in enumerate(results["points"]):
        if not isinstance(p, dict) or not isinstance(p.get("id"), str):
            raise dp.BadInput(f"{path}: points[{i}]: expected an object with a string `id`")
    return results


def main(argv):
    if len(argv) != 2:
        print(f"usage: {TOOL}.py DIR (a vp_sweep output directory)", file=sys.stderr)
        return dp.EXIT_BAD_INPUT
    out_dir = argv[1]
    try:
        results = load(out_dir)
        plotter = dp.Plotter(os.path.join(out_dir, "plots"))
    except dp.BadInput as e:
        print(f"{TOOL}: error: {e}", file=sys.stderr)
        return dp.EXIT_BAD_INPUT
    axes = [a for a in results.get("axes") or [] if isinstance(a, str)]
    passed = [p for p in results["points"] if p.get("status") == PASS]
    failed = [p for p in results["points"] if p.get("status") != PASS]
    if failed:
        plotter.notes.append(f"{len(failed)} point(s) did not pass and are left out of the plots: " +
                             ", ".join(f"{p['id']} ({p.get('status')})" for p in failed))
    groups = by_network(passed, sweep_page.sweep_name(results))
    plotter.draw("fps_vs_pes", "fps against PEs", lambda: fps_vs_pes(groups))
    plotter.draw("utilisation_layers", "PE utilisation per layer", lambda: utilisation_layers(groups, axes))
    plotter.draw("dram_vs_buffer", "DRAM MB against buffer size", lambda: dram_vs_buffer(passed, axes))
    for cost, cost_label, always in PARETO_COSTS:
        if always or any(metric(p, cost) is not None for p in passed):
            plotter.draw(f"pareto_fps_{cost}", f"Pareto front of fps against {cost_label}",
                         lambda: pareto(groups, cost, cost_label))
    columns, rows = read_table(out_dir, results)
    sweep_page.write(os.path.join(out_dir, "index.html"), results, plotter, columns, rows, failed)
    return plotter.report(TOOL)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
