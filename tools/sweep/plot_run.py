#!/usr/bin/python3
"""plot_run.py REPORT.json DIR: one run's per-layer plots (vp_run --plots DIR runs it after the run), each as
DIR/STEM.png and DIR/STEM.svg:
  layer_cycles       cycles of every layer, engine and CPU layers in two colours
  layer_utilisation  each engine layer's PE utilisation (RTL counters) against its plan bound
  layer_dram         each engine layer's DRAM bytes (read + write) against the plan's lower bound
A plot the report has no data for (a run that ended before its layers) is skipped with a note on stderr.
Exit status: 0, 1 (a plot failed; the others are written), 2 (the report is unreadable).
docs/sweeps.md, "Plots"."""

import sys

import dnnvp_plots as dp

TOOL = "plot_run"


def byte_unit(largest):
    for divisor, unit in ((1e6, "MB"), (1e3, "kB")):
        if largest >= divisor:
            return divisor, unit
    return 1.0, "bytes"


def ran_layers(report):
    """The layers with cycles of their own (not fused into their producer)."""
    layers = [l for l in report.get("layers") or [] if l.get("where") in ("engine", "cpu")]
    if not layers:
        raise dp.Skip(f"the report has no layers (status {report.get('status')!r}: "
                      f"{report.get('message') or report.get('end')})")
    return layers


def engine_layers(report):
    layers = [l for l in ran_layers(report) if l["where"] == "engine"]
    if not layers:
        raise dp.Skip("no layer ran on the engine")
    return layers


def layer_cycles(report, title):
    layers = ran_layers(report)
    fig, (ax,) = dp.figure(dp.layer_figure_width(len(layers)))
    colours = {"engine": "tab:blue", "cpu": "tab:orange"}
    cycles = [dp.number(l.get("cycles")) or 0.0 for l in layers]
    ax.bar(range(len(layers)), cycles, color=[colours[l["where"]] for l in layers])
    positive = [c for c in cycles if c > 0]
    if positive and max(positive) > 1000 * min(positive):
        ax.set_yscale("log")  # a CPU layer next to a convolution 10^4 times longer stays visible
    dp.layer_axis(ax, [l["name"] for l in layers])
    ax.set_ylabel("engine clock cycles")
    ax.set_title(f"{title}: cycles per layer")
    dp.colour_legend(ax, {w: c for w, c in colours.items() if any(l["where"] == w for l in layers)})
    return fig


def layer_utilisation(report, title):
    layers = engine_layers(report)
    fig, (ax,) = dp.figure(dp.layer_figure_width(len(layers)))
    dp.bars_against_bound(ax, [l["name"] for l in layers],
                          [dp.number(l.get("pe_utilization")) or 0.0 for l in layers],
                          [dp.number(l.get("pe_utilization_bound")) for l in layers],
                          "PE utilisation (RTL counters)", "plan bound")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("PE utilisation")
    ax.set_title(f"{title}: PE utilisation per engine layer against its plan bound")
    return fig


def layer_dram(report, title):
    layers = engine_layers(report)
    moved = [(dp.number(l.get("dram_read_bytes")) or 0.0) + (dp.number(l.get("dram_write_bytes")) or 0.0)
             for l in layers]
    bounds = [dp.number(l.get("dram_lower_bound_bytes")) for l in layers]
    divisor, unit = byte_unit(max(moved + [b for b in bounds if b is not None]))
    fig, (ax,) = dp.figure(dp.layer_figure_width(len(layers)))
    dp.bars_against_bound(ax, [l["name"] for l in layers], [m / divisor for m in moved],
                          [None if b is None else b / divisor for b in bounds], "DRAM read + write",
                          "plan's lower bound")
    ax.set_ylabel(f"DRAM traffic ({unit})")
    ax.set_title(f"{title}: DRAM traffic per engine layer against its lower bound")
    return fig


def main(argv):
    if len(argv) != 3:
        print(f"usage: {TOOL}.py REPORT.json DIR", file=sys.stderr)
        return dp.EXIT_BAD_INPUT
    try:
        report = dp.read_json(argv[1])
        if not isinstance(report, dict):
            raise dp.BadInput(f"{argv[1]}: not a report.json (expected an object)")
        plotter = dp.Plotter(argv[2])
    except dp.BadInput as e:
        print(f"{TOOL}: error: {e}", file=sys.stderr)
        return dp.EXIT_BAD_INPUT
    scenario = report.get("scenario") or {}
    title = scenario.get("name") or argv[1]
    plotter.draw("layer_cycles", "cycles per layer", lambda: layer_cycles(report, title))
    plotter.draw("layer_utilisation", "PE utilisation against the plan bound",
                 lambda: layer_utilisation(report, title))
    plotter.draw("layer_dram", "DRAM bytes against the lower bound", lambda: layer_dram(report, title))
    return plotter.report(TOOL)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
