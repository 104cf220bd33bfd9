"""What `costlab latency` shows, as a neutral document: the machine and roofline, one row per
model, the layer table with --per-layer, and Spearman, published ratios and time-vs-MACs
checks as notes.
The JSON fields (models[], machine, roofline, layers[], spearman) are fixed by issue 11."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from costlab.analyses.latency import LatencyReport, latency_dict
from costlab.render.section import Column, Document, Section, Unit

__all__ = ["LATENCY_MODEL_COLUMNS", "LATENCY_LAYER_COLUMNS", "latency_document"]

LATENCY_MODEL_COLUMNS = (
    Column("name", "model"), Column("macs", "MACs", Unit.SI),
    Column("median_ms", "median ms", Unit.FLOAT, digits=2),
    Column("iqr_ms", "IQR ms", Unit.FLOAT, digits=2), Column("runs", "runs", Unit.INT),
    Column("throughput", "samples/s", Unit.FLOAT, digits=1),
    Column("gmacs_per_s", "GMAC/s", Unit.FLOAT, digits=2),
    Column("predicted_ms", "roofline ms", Unit.FLOAT, digits=2))
# The terminal leaves out the type first, then the achieved GMAC/s, when a table is too wide.
LATENCY_LAYER_COLUMNS = (
    Column("layer", "layer"), Column("type", "type", priority=2),
    Column("time_ms", "time ms", Unit.FLOAT, digits=3), Column("share", "share", Unit.SHARE),
    Column("macs", "MACs", Unit.SI), Column("bytes", "bytes", Unit.BYTES),
    Column("gmacs_per_s", "GMAC/s", Unit.FLOAT, digits=2, priority=1),
    Column("intensity", "MAC/B", Unit.FLOAT, digits=2),
    Column("predicted_ms", "roofline ms", Unit.FLOAT, digits=3), Column("bound", "bound"))


def _rho(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}"


def _spearman_note(rho: Mapping[str, Any], what: str) -> str:
    if rho["macs"] is None and rho["roofline"] is None:
        return f"Spearman across {what}: undefined for {rho['n']} (needs 3 or more, not all " \
               "equal)"
    return f"Spearman rank correlation with measured time across {rho['n']} {what}: " \
           f"MACs {_rho(rho['macs'])}, roofline prediction {_rho(rho['roofline'])}"


def _heading(data: Mapping[str, Any]) -> tuple[str, ...]:
    machine, roof, timing = data["machine"], data["roofline"], data["timing"]
    threads = machine["threads"]
    state = "cached; --recalibrate measures again" if roof["cached"] else "measured now"
    return (
        f"machine: {machine['cpu']}, {machine['cores']} cores, {threads} "
        f"thread{'s' if threads != 1 else ''} used; torch {machine['torch']} "
        f"({machine['build']}); device {machine['device']}, {data['dtype']}",
        f"timing: {timing['method']}; at least {timing['min_time_s']:g} s per model",
        f"roofline ({state}): peak {roof['peak_gmacs_per_s']:.1f} GMAC/s, bandwidth "
        f"{roof['bandwidth_gb_per_s']:.1f} GB/s, ridge {roof['ridge_macs_per_byte']:.2f} "
        f"MAC/B ({roof['method']})")


def _published_note(p: Mapping[str, Any]) -> str:
    return (f"{p['model']} / {p['baseline']}: {p['measured_ratio']:.2f} measured here; "
            f"published {p['published_ms']:g} / {p['baseline_published_ms']:g} = "
            f"{p['published_ratio']:.2f} on a different device ({p['published_device']}; "
            f"{p['source']})")


def _layer_notes(model: Mapping[str, Any]) -> tuple[str, ...]:
    per = model["per_layer"]
    rest = per["hooked_median_ms"] - per["layer_sum_ms"]
    return (f"{model['name']}: timed by {per['method']}; each layer's median over the runs",
            f"sum of layer times {per['layer_sum_ms']:.2f} ms of the model's "
            f"{per['hooked_median_ms']:.2f} ms median with the hooks in place ({rest:.2f} ms "
            f"not attributed to leaf layers); the hooks slow the model by "
            f"{per['disturbance']:.2f}x ({model['median_ms']:.2f} ms without them)",
            _spearman_note(model["spearman"], "layers"))


def latency_document(report: LatencyReport,
                     proportionality: Sequence[Mapping[str, Any]] = ()) -> Document:
    """The measurement as a document; `proportionality` (each with its `text`) sets a paper's
    claim that time follows MACs beside it (costlab.papers.latency). CSV writes the layer
    table with per-layer timing, the model table otherwise."""
    data = latency_dict(report)
    models = data.pop("models")
    layers = data.pop("layers")
    notes = [_published_note(p) for p in data["published_ratios"]]
    if len(models) > 1:
        notes.append(_spearman_note(data["spearman"], "models"))
    notes += [check["text"] for check in proportionality]
    notes += [f"{m['name']}: timed in blocks of {m['runs_per_block']} runs; median and IQR "
              "are of the blocks' means" for m in models if m["runs_per_block"] > 1]
    sections = [Section("models", "", LATENCY_MODEL_COLUMNS, tuple(models), tuple(notes))]
    timed = [m for m in models if "per_layer" in m]
    if timed:
        # the model column only when several models were timed per layer
        columns = LATENCY_LAYER_COLUMNS if len(timed) == 1 else (Column("model", "model"),
                                                         *LATENCY_LAYER_COLUMNS)
        sections.append(Section("layers", "per layer", columns, tuple(layers),
                                tuple(n for m in timed for n in _layer_notes(m))))
    else:
        data["layers"] = []
    return Document("latency", _heading(data), tuple(sections),
                    {**data, "proportionality": [dict(c) for c in proportionality]},
                    primary="layers" if timed else "models")
