"""The `costlab` command: thin click commands over the library API."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from costlab.analyses.metrics import sort_keys
from costlab.choices import Device, DType, Optimizer, ParamConvention, TraceDevice, View
from costlab.errors import CostlabError, OptionError
from costlab.render import Document, formats, resolve_format, write

if TYPE_CHECKING:
    from costlab.spec.variants import Variant

__all__ = ["cli", "main"]


class _Cli(click.Group):
    """Turns every user mistake (a CostlabError or a bad option) into one line and exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("costlab: aborted", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            click.echo(f"costlab: error: {exc.format_message()}", err=True)
            sys.exit(2)
        except CostlabError as exc:
            click.echo(f"costlab: error: {exc}", err=True)
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)


def _write(text: str, output: str | None) -> None:
    """To stdout (no -o, or `-o -`) or to the file named."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OptionError(f"cannot write {output!r}: {exc.strerror}") from None


def _emit(document: Document, fmt: str | None, output: str | None) -> None:
    """The document in the format asked, or the one -o's extension names (.json, .md ...)."""
    _write(write(document, resolve_format(fmt, output)), output)


def _settings(pairs: tuple[str, ...]) -> dict[str, Any]:
    from costlab.spec.variants import parse_setting
    return dict(parse_setting(p) for p in pairs)


@click.group(cls=_Cli)
@click.version_option(package_name="costlab")
def cli() -> None:
    """Exact, layer-by-layer cost of neural-network architectures."""


class _LiveChoice(click.Choice[str]):
    """A choice read when the option is parsed, so a format or metric registered after import
    (a plugin, a test) is offered too."""

    def __init__(self, source: Callable[[], Sequence[str]]) -> None:
        self._source = source
        super().__init__(source())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self._source())

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        pass   # click's __init__ assigns the first reading; later ones come from the source


_FORMATS = _LiveChoice(formats)
_DTYPES = click.Choice([d.value for d in DType])
_CONVENTIONS = click.Choice([c.value for c in ParamConvention])


def _model_options(fn: Any) -> Any:
    """The options every command that builds a model shares."""
    for option in reversed([
        click.option("--alpha", type=float, help="Width multiplier (spec parameter)."),
        click.option("--resolution", type=int, help="Input height and width."),
        click.option("--num-classes", type=int, help="Classifier outputs (spec parameter)."),
        click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True),
        click.option("--input", "inputs", multiple=True, metavar="[NAME=]SHAPE[:DTYPE]",
                     help="Input shape such as 1x3x224x224 (or 1x128:int64 for token ids), "
                          "for import-path and zoo models; NAME= makes it a keyword input "
                          "(input_ids=1x128:int64); repeatable."),
        click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                     help="Any other spec parameter, or a keyword argument of the callable."),
    ]):
        fn = option(fn)
    return fn


def _written_options(fn: Any) -> Any:
    """--format and -o, for every command that writes a report."""
    fn = click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
                      help="Write to a file (`-` for stdout); its extension (.json, .csv, .md, "
                           ".tex, .html, .txt) picks the format unless --format is given.")(fn)
    return click.option("--format", "fmt", type=_FORMATS,
                        help="Output format [default: from -o's extension, else table].")(fn)


@cli.command()
@click.argument("model")
@_model_options
@click.option("--params", "convention", type=_CONVENTIONS, default="torch", show_default=True,
              help="Parameter counting convention.")
@click.option("--depth", type=click.IntRange(min=0), help="Sum rows up to this module depth.")
@_written_options
@click.option("--strict", is_flag=True, help="Fail when an op has no cost rule.")
@click.option("--device", type=click.Choice([d.value for d in TraceDevice]), default="auto",
              show_default=True,
              help="Where the trace runs: meta (shapes only), cpu (real tensors, random "
                   "weights), or auto: meta, then cpu when the model needs values.")
@click.option("--training", is_flag=True,
              help="Add a training step: forward and backward MACs per layer, as autograd "
                   "runs them on meta.")
@click.option("--freeze", multiple=True, metavar="GLOB",
              help="With --training: parameters (names such as 'features.0.*') left without "
                   "gradients; repeatable.")
@click.option("--optimizer", type=click.Choice([o.value for o in Optimizer]), default="adam",
              show_default=True, help="With --training: the optimizer step's element-wise ops.")
def report(model: str, alpha: float | None, resolution: int | None, num_classes: int | None,
           batch: int, inputs: tuple[str, ...], sets: tuple[str, ...], convention: str,
           depth: int | None, fmt: str | None, output: str | None, strict: bool,
           device: str, training: bool, freeze: tuple[str, ...], optimizer: str) -> None:
    """MACs, parameters and the layer table of MODEL (a spec name, a spec file, a zoo model
    such as torchvision:resnet50, timm:NAME or hf:DIR, or package.module:callable; settings may
    follow inline: mobilenetv2:alpha=0.5)."""
    if freeze and not training:
        raise OptionError("--freeze models fine-tuning: add --training")
    from costlab.api import analyze
    from costlab.spec.variants import parse_variant
    from costlab.trace.inputs import parse_input
    variant = parse_variant(model, _settings(sets))
    analysis = analyze(variant.model, alpha=alpha, resolution=resolution,
                       num_classes=num_classes, batch=batch,
                       inputs=[parse_input(s) for s in inputs] or None, params=convention,
                       depth=depth, strict=strict, settings=variant.settings, device=device,
                       training=training, freeze=freeze, optimizer=optimizer)
    _emit(analysis.document(), fmt, output)


@cli.command()
@click.argument("model")
@_model_options
@click.option("--dtype", type=_DTYPES,
              help="Activation element type [default: fp32, as in every command; fp16 gives "
                   "MobileNetV2 Table 3's 16-bit figures].")
@click.option("--view", type=click.Choice([v.value for v in View]), default="blocks",
              show_default=True, help="Which tensors count for the per-resolution maxima.")
@click.option("--training", is_flag=True, help="Add the memory of a training step.")
@click.option("--optimizer", type=click.Choice([o.value for o in Optimizer]), default="adam",
              show_default=True)
@click.option("--measure", is_flag=True, help="Also run the real model and measure its peak.")
@_written_options
def memory(model: str, alpha: float | None, resolution: int | None, num_classes: int | None,
           batch: int, inputs: tuple[str, ...], sets: tuple[str, ...], dtype: str | None,
           view: str, training: bool, optimizer: str, measure: bool, fmt: str | None,
           output: str | None) -> None:
    """Feature-map memory of MODEL (settings may follow inline: mobilenetv2:alpha=0.5):
    largest tensor per resolution, peak, training."""
    from costlab.analyses.memory_document import memory_document
    from costlab.api import memory as memory_analysis
    from costlab.spec.variants import parse_variant
    from costlab.trace.inputs import parse_input
    variant = parse_variant(model, _settings(sets))
    analysis, mem = memory_analysis(
        variant.model, dtype=dtype, view=view, training=training, optimizer=optimizer,
        measure=measure, alpha=alpha, resolution=resolution, num_classes=num_classes,
        batch=batch, inputs=[parse_input(s) for s in inputs] or None, settings=variant.settings)
    _emit(memory_document(analysis, mem, analysis.full_cost), fmt, output)


def _variants(models: tuple[str, ...], alpha: float | None, resolution: int | None,
              num_classes: int | None, sets: tuple[str, ...]) -> list[Variant]:
    """MODEL[:key=value,...] arguments; the shared options apply to each, inline ones win."""
    from costlab.spec.variants import parse_variant
    named = {"alpha": alpha, "resolution": resolution, "num_classes": num_classes}
    shared = {**{k: v for k, v in named.items() if v is not None}, **_settings(sets)}
    return [parse_variant(model, shared) for model in models]


@cli.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL[:KEY=VALUE,...]...")
@_model_options
@click.option("--params", "convention", type=_CONVENTIONS, default="torch", show_default=True,
              help="Parameter counting convention.")
@click.option("--dtype", type=_DTYPES, default="fp32", show_default=True,
              help="Activation element type for the memory columns.")
@click.option("--metrics", "metric_keys", metavar="KEY,...",
              help="Metrics to compare (catalog keys, comma-separated) [default: "
                   "macs,flops,params,peak_bytes,largest_tensor_bytes].")
@click.option("--sort", type=_LiveChoice(sort_keys),
              help="Order the rows by this column (ascending); ratios stay against the first "
                   "model named.")
@click.option("--per-stage", is_flag=True,
              help="Line up the stages (depth-1 blocks) of variants of one family.")
@click.option("--latency", is_flag=True,
              help="Also time every model here (metric latency_ms: CPU, fp32, one thread; "
                   "costlab latency for more).")
@click.option("--training", is_flag=True,
              help="Add the training columns: backward_macs and training_macs.")
@_written_options
def compare(models: tuple[str, ...], alpha: float | None, resolution: int | None,
            num_classes: int | None, batch: int, inputs: tuple[str, ...], sets: tuple[str, ...],
            convention: str, dtype: str, metric_keys: str | None, sort: str | None,
            per_stage: bool, latency: bool, training: bool, fmt: str | None,
            output: str | None) -> None:
    """MACs, FLOPs, params and memory of several models side by side, with ratios against the
    first. A variant is written inline: mobilenetv2:alpha=0.5,resolution=160."""
    from costlab.analyses.compare import compare as compare_models
    from costlab.analyses.compare_document import comparison_document, stages_document
    from costlab.trace.inputs import parse_input
    keys = [k.strip() for k in metric_keys.split(",") if k.strip()] if metric_keys else None
    if latency or training:
        from costlab.analyses.metrics import TRAINING_METRICS, default_metrics
        extra = [*(["latency_ms"] if latency else []), *(TRAINING_METRICS if training else ())]
        keys = list(dict.fromkeys([*(keys or [m.key for m in default_metrics()]), *extra]))
    result = compare_models(_variants(models, alpha, resolution, num_classes, sets),
                            params=convention, dtype=dtype, batch=batch,
                            inputs=[parse_input(s) for s in inputs] or None, sort=sort,
                            metrics=keys)
    document = stages_document(result) if per_stage else comparison_document(result)
    _emit(document, fmt, output)


def _progress() -> Any:
    """A one-line progress indicator on stderr, or nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(message: str) -> None:
        click.echo(f"\r\x1b[K{message}...", err=True, nl=False)
    return show


@cli.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL[:KEY=VALUE,...]...")
@_model_options
@click.option("--device", type=click.Choice([d.value for d in Device]), default="cpu",
              show_default=True)
@click.option("--dtype", type=_DTYPES, default="fp32", show_default=True,
              help="Element type the model runs at (fp32, fp16 or bf16).")
@click.option("--threads", type=int, default=1, show_default=True,
              help="torch intra-op threads, pinned while timing.")
@click.option("--min-time", "min_time", type=float, default=1.0, show_default=True,
              metavar="S", help="Seconds of timed runs per model (and per roofline figure).")
@click.option("--per-layer", is_flag=True, help="Also time every leaf layer.")
@click.option("--recalibrate", is_flag=True,
              help="Measure the roofline again instead of reading it from the cache.")
@_written_options
def latency(models: tuple[str, ...], alpha: float | None, resolution: int | None,
            num_classes: int | None, batch: int, inputs: tuple[str, ...], sets: tuple[str, ...],
            device: str, dtype: str, threads: int, min_time: float, per_layer: bool,
            recalibrate: bool, fmt: str | None, output: str | None) -> None:
    """Measured latency of every MODEL (random weights) beside its MACs and a measured
    roofline; with --per-layer, every leaf layer, and how well MACs rank the times."""
    from costlab.analyses.latency import measure_latency
    from costlab.analyses.latency_document import latency_document
    from costlab.papers.latency import claim_dict, seed001_proportionality
    from costlab.trace.inputs import parse_input
    progress = _progress()
    try:
        report = measure_latency(
            _variants(models, alpha, resolution, num_classes, sets), device=device,
            dtype=dtype, batch=batch, threads=threads, min_time_s=min_time,
            per_layer=per_layer, inputs=[parse_input(s) for s in inputs] or None,
            recalibrate=recalibrate, progress=progress)
    finally:
        if progress is not None:
            click.echo("\r\x1b[K", err=True, nl=False)
    claim = seed001_proportionality(report)
    _emit(latency_document(report, [claim_dict(claim)] if claim else []), fmt, output)


@cli.command()
@click.argument("models", nargs=-1, metavar="[MODEL[:KEY=VALUE,...]]...")
@_model_options
@click.option("--params", "convention", type=_CONVENTIONS,
              help="Parameter counting convention [default: [tool.costlab] params, or torch].")
@click.option("--dtype", type=_DTYPES,
              help="Activation element type [default: [tool.costlab] dtype, or fp32].")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="The lock file [default: [tool.costlab] lockfile, or costlab.lock.json].")
def snapshot(models: tuple[str, ...], alpha: float | None, resolution: int | None,
             num_classes: int | None, batch: int, inputs: tuple[str, ...],
             sets: tuple[str, ...], convention: str | None, dtype: str | None,
             output: str | None) -> None:
    """Write the cost of every MODEL to a lock file for costlab check; with no MODEL, measure
    the lock file's own entries again (to accept a change of cost)."""
    from costlab.ci.budgets import load_config
    from costlab.ci.check_document import plural, shown_path
    from costlab.ci.lockfile import load_lock, refresh, write_lock
    from costlab.ci.lockfile import snapshot as take_snapshot
    from costlab.trace.inputs import parse_input
    config = load_config()
    path = Path(output) if output else config.lockfile
    if models:
        lock = take_snapshot(_variants(models, alpha, resolution, num_classes, sets),
                             params=convention or config.params, dtype=dtype or config.dtype,
                             batch=batch, inputs=[parse_input(s) for s in inputs] or None)
    elif any([alpha, resolution, num_classes, inputs, sets, batch != 1]):
        raise OptionError("name the models the options apply to, or give none to measure "
                          f"the entries of {shown_path(path)} again")
    else:
        lock = refresh(load_lock(path), params=convention, dtype=dtype,
                       source=shown_path(path))
    write_lock(lock, path)
    click.echo(f"wrote {shown_path(path)}: {plural(len(lock.entries), 'model')} (params "
               f"under '{lock.params}', memory at {lock.dtype})")


@cli.command()
@click.argument("lockfile", required=False, type=click.Path(dir_okay=False))
@click.option("--tolerance", type=click.FloatRange(min=0), metavar="PCT",
              help="Growth allowed, in percent [default: [tool.costlab] tolerance, or 0].")
@click.option("--all", "show_all", is_flag=True,
              help="Show every metric, not only those that changed or have a budget.")
@click.option("--format", "fmt", type=_LiveChoice(lambda: [*formats(), "github"]),
              help="Output format [default: github when $GITHUB_ACTIONS is set, else markdown]; "
                   "github prints ::error annotations for the pull request.")
def check(lockfile: str | None, tolerance: float | None, show_all: bool,
          fmt: str | None) -> int:
    """Recompute every entry of the lock file and the budgets in pyproject.toml: exit 0 when
    nothing grew past the tolerance or a budget, 1 when something did, 2 on bad input. The
    markdown table is also appended to $GITHUB_STEP_SUMMARY when that is set."""
    import os

    from costlab.ci.check import run_check
    from costlab.ci.check_document import check_document, github_annotations
    fmt = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "markdown")
    result = run_check(lockfile, tolerance_pct=tolerance)
    document = check_document(result, show_all)
    text = github_annotations(result) if fmt == "github" else write(document, fmt)
    click.echo(text, nl=False)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(write(document, "markdown") + "\n")
        except OSError as exc:
            click.echo(f"costlab: warning: cannot write $GITHUB_STEP_SUMMARY ({summary}): "
                       f"{exc.strerror}", err=True)
    return 1 if result.failed else 0


@cli.command("list")
@click.argument("pattern", default="")
def list_specs(pattern: str) -> None:
    """The specs available, one line each; PATTERN keeps those whose name, alias or title
    contains it (or matches it as a glob: 'mobilenet*'). Exit 2 when none does.
    `list torchvision` or `list timm:vit_*` lists a zoo's model names instead."""
    zoo, _, glob = pattern.partition(":")
    if zoo in ("torchvision", "timm", "hf"):
        import fnmatch

        from costlab.models.zoo import zoo_names
        for name in fnmatch.filter(zoo_names(zoo), glob or "*"):
            click.echo(f"{zoo}:{name}")
        return
    from costlab.spec.catalog import match_specs
    for spec in match_specs(pattern):
        params = " ".join(f"{p.name}={p.default}" for p in spec.params.values())
        click.echo(f"{spec.name:<26} {spec.title:<30} {params}")


@cli.command("reproduce")
@click.argument("tables", nargs=-1)
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False), default="reports",
              show_default=True, help="Directory of the markdown reports.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when a report differs from what the code computes.")
@click.option("--list", "list_only", is_flag=True, help="List the tables and exit.")
@click.option("--figures", is_flag=True,
              help="Also draw the figures when tables are named (always drawn for all).")
def reproduce_cmd(tables: tuple[str, ...], directory: str, check: bool, list_only: bool,
                  figures: bool) -> int:
    """Rebuild the papers' tables (published beside computed) as markdown in reports/."""
    from costlab.papers.reproduce import check_reports, select_tables, write_reports
    from costlab.papers.tables import TABLES
    if list_only:
        for slug in select_tables(()):
            click.echo(f"{slug:<36} {(TABLES[slug].__doc__ or '').strip().splitlines()[0]}")
        return 0
    out = Path(directory)
    if check:
        drifts = check_reports(out, tables)
        for drift in drifts:
            click.echo(f"{drift.path}: differs from what the code computes "
                       f"(regenerate: costlab reproduce {drift.slug})".replace(" )", ")"))
            click.echo("\n".join(drift.diff[:40]))
        return 1 if drifts else 0
    for path in write_reports(out, tables, figures):
        click.echo(f"wrote {path}")
    return 0


def main() -> None:
    cli.main(prog_name="costlab")
