"""The `costlab` command: thin click commands over the library API."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click

from costlab.analyses.metrics import default_metrics, sort_keys
from costlab.choices import Device, DType, Optimizer, ParamConvention, TraceDevice, View
from costlab.errors import CostlabError, OptionError, describe, first_line
from costlab.render import Document, formats, is_data, resolve_format, write, write_file
from costlab.render.progress import progress_bar

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from costlab.spec.variants import Variant

__all__ = ["cli", "main"]


EXIT_OK, EXIT_GREW, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_PIPE = 141   # 128 + SIGPIPE: what a shell reports for `yes | head -1`
EXIT_CODES = """Exit codes: 0 success; 1 a cost grew past its tolerance or budget (check, or
reproduce --check: a report drifted); 2 bad input, including a model that fails, raises or
calls sys.exit while it is built, traced or measured; 3 an internal error (a bug: please
report it; --debug or COSTLAB_DEBUG=1 shows the traceback); 130 interrupted; 141 the reader
of the output went away (costlab report m | head -1), silently."""


class _PipeClosed(Exception):
    """stdout's reader closed the pipe; not an OSError, so click does not turn it into
    exit 1, which means "a cost grew"."""


class _Cli(click.Group):
    """The one top-level handler: every user mistake (a CostlabError, a bad option) is one
    line and exit 2, a bug one line and exit 3; warnings are shown only when the command
    succeeds (never before an error line)."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get("COSTLAB_DEBUG", "") not in ("", "0")
        kwargs["standalone_mode"] = False
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                code = super().main(argv, *rest, **kwargs)
            except _PipeClosed:
                _silence_stdout()
                sys.exit(EXIT_PIPE)
            except click.exceptions.Abort:
                _fail("aborted", EXIT_INTERRUPTED)
            except click.ClickException as exc:
                _fail(f"error: {_first_line(exc.format_message())}", EXIT_BAD_INPUT, exc,
                      debug)
            except CostlabError as exc:
                _fail(f"error: {_first_line(str(exc))}", EXIT_BAD_INPUT, exc, debug)
            except KeyboardInterrupt:
                _fail("interrupted", EXIT_INTERRUPTED)
            except RecursionError as exc:
                _fail("error: the input is nested too deeply (Python's recursion limit)",
                      EXIT_BAD_INPUT, exc, debug)
            except MemoryError as exc:
                _fail("error: out of memory; the input asks for more than this machine has",
                      EXIT_BAD_INPUT, exc, debug)
            except Exception as exc:  # noqa: BLE001 - the one place a bug becomes exit 3
                _fail(f"internal error: {describe(exc)}; please report it (with "
                      "COSTLAB_DEBUG=1 for the traceback)", EXIT_INTERNAL, exc, debug)
        for warning in caught:
            click.echo(f"costlab: warning: {_first_line(str(warning.message))}", err=True)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


class _Command(click.Command):
    """Runs the command with sys.stdout pointing at stderr, so that whatever a user's model
    prints while it is built, traced or measured cannot corrupt a report on stdout; costlab's
    own output goes to the real stdout through _echo. A sys.exit in user code is bad input."""

    def invoke(self, ctx: click.Context) -> Any:
        _STDOUT.append(sys.stdout)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise _PipeClosed from exc
        except SystemExit as exc:   # costlab's commands return their code: this is user code
            raise CostlabError(f"the model called sys.exit({exc.code!r}) while it was built, "
                               "traced or measured") from exc
        finally:
            _STDOUT.pop()


_Cli.command_class = _Command
_STDOUT: list[TextIO] = []   # the real stdout while a command runs


def _fail(message: str, code: int, exc: BaseException | None = None,
          debug: bool = False) -> NoReturn:
    if debug and exc is not None:
        traceback.print_exception(exc, file=sys.stderr)
    click.echo(f"costlab: {message}", err=True)
    sys.exit(code)


def _silence_stdout() -> None:
    """Points stdout at /dev/null, so that the interpreter's last flush at exit does not
    fail again on the closed pipe (the recipe of Python's signal documentation)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "(no message)"


def _complete_model(ctx: click.Context, param: click.Parameter, incomplete: str
                    ) -> list[CompletionItem]:
    """Shell completion of MODEL: the spec names (from the cached summaries, so at once) and
    the zoo prefixes; a spec file or import path completes as the shell's own words."""
    from click.shell_completion import CompletionItem

    from costlab.spec.catalog import find_specs
    names = [*find_specs(), "torchvision:", "timm:", "hf:"]
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def _echo(text: str, nl: bool = True) -> None:
    """Writes costlab's own output to the real stdout (user code's prints go to stderr); the
    writer decided on colour already (render.write), so click must not strip it."""
    click.echo(text, nl=nl, file=_STDOUT[-1] if _STDOUT else None, color=True)


def _write(text: str, output: str | None) -> None:
    """To stdout (no -o, or `-o -`) or to the file named, saying so on stderr."""
    if output is None or output == "-":
        _echo(text, nl=False)
        return
    from costlab.render.files import write_atomic
    write_atomic(output, text)
    _wrote(output)


def _wrote(path: str | Path) -> None:
    """The one success line of a command that wrote a file: `wrote r.json (12.3 kB)`, on
    stderr, so that a pipe from stdout stays clean."""
    from costlab.units import fmt_bytes
    click.echo(f"wrote {path} ({fmt_bytes(Path(path).stat().st_size)})", err=True)


def _emit(document: Document, fmt: str | None, output: str | None) -> None:
    """The document in the format asked, or the one -o's extension names (.json, .md ...):
    to stdout (no -o, or `-o -`), fitted to (and coloured for) the terminal it may be, or to
    the file named, saying so on stderr."""
    fmt = resolve_format(fmt, output)
    if output is None or output == "-":
        _echo(write(document, fmt, to=_STDOUT[-1] if _STDOUT else sys.stdout), nl=False)
        return
    write_file(document, fmt, output)
    _wrote(output)


def _settings(pairs: tuple[str, ...]) -> dict[str, Any]:
    from costlab.spec.variants import parse_setting
    return dict(parse_setting(p) for p in pairs)


@click.group(cls=_Cli, epilog=EXIT_CODES)
@click.version_option(package_name="costlab")
@click.option("--debug", is_flag=True, help="Show the traceback of an error (as COSTLAB_DEBUG=1).")
def cli(debug: bool) -> None:
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
        click.option("--alpha", type=float, callback=_finite,
                     help="Width multiplier (spec parameter)."),
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
                           ".tex, .html, .txt, .parquet) picks the format unless --format is "
                           "given.")(fn)
    return click.option("--format", "fmt", type=_FORMATS,
                        help="Output format [default: from -o's extension, else table].")(fn)


def _allow_import_option(fn: Any) -> Any:
    return click.option(
        "--allow-import", "allow_imports", multiple=True, metavar="PATTERN",
        help="Let the lock file or a budget run this import path (fnmatch, e.g. "
             "'mypkg.models:*'); by default only modules inside the project, spec names and "
             "zoo models run. Repeatable; [tool.costlab] allow-imports adds more.")(fn)


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """FloatRange lets nan through (nan < 0 is False), and a nan tolerance passes every check."""
    import math
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number", ctx, param)
    return value


@cli.command()
@click.argument("model", shell_complete=_complete_model)
@_model_options
@click.option("--params", "convention", type=_CONVENTIONS, default="torch", show_default=True,
              help="Parameter counting convention.")
@click.option("--depth", type=click.IntRange(min=0),
              help="Sum rows up to this module depth (1: the model's children); with --tree, "
                   "how deep the tree goes.")
@click.option("--tree", is_flag=True,
              help="The layer table as the module tree: every module down to --depth (all "
                   "when not given), nested under its parent with its summed MACs and params.")
@_written_options
@click.option("--strict", is_flag=True, help="Fail when an op has no cost rule.")
@click.option("--top", type=click.IntRange(min=1), metavar="N",
              help="Show only the N layers with the most MACs, costliest first.")
@click.option("--summary", is_flag=True, help="Show the totals only.")
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
           top: int | None, summary: bool, device: str, training: bool,
           freeze: tuple[str, ...], optimizer: str, tree: bool) -> None:
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
    _emit(analysis.document(top=top, summary=summary, tree=tree), fmt, output)


@cli.command()
@click.argument("model", shell_complete=_complete_model)
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
    from costlab.papers.seed001_formula import section51_estimate
    from costlab.spec.variants import parse_variant
    from costlab.trace.inputs import parse_input
    variant = parse_variant(model, _settings(sets))
    with progress_bar(f"memory of {variant.name}") if measure else nullcontext() as bar:
        analysis, mem = memory_analysis(
            variant.model, dtype=dtype, view=view, training=training, optimizer=optimizer,
            measure=measure, alpha=alpha, resolution=resolution, num_classes=num_classes,
            batch=batch, inputs=[parse_input(s) for s in inputs] or None,
            settings=variant.settings, progress=bar.update if bar else None)
    estimates = [section51_estimate(analysis.full_cost)] if mem.training else []
    _emit(memory_document(analysis, mem, analysis.full_cost, estimates), fmt, output)


def _variants(models: tuple[str, ...], alpha: float | None, resolution: int | None,
              num_classes: int | None, sets: tuple[str, ...]) -> list[Variant]:
    """MODEL[:key=value,...] arguments; the shared options apply to each, inline ones win."""
    from costlab.spec.variants import parse_variant
    named = {"alpha": alpha, "resolution": resolution, "num_classes": num_classes}
    shared = {**{k: v for k, v in named.items() if v is not None}, **_settings(sets)}
    return [parse_variant(model, shared) for model in models]


@cli.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL[:KEY=VALUE,...]...",
                shell_complete=_complete_model)
@_model_options
@click.option("--params", "convention", type=_CONVENTIONS, default="torch", show_default=True,
              help="Parameter counting convention.")
@click.option("--dtype", type=_DTYPES, default="fp32", show_default=True,
              help="Activation element type for the memory columns.")
@click.option("--metrics", "metric_keys", metavar="KEY,...",
              help="Metrics to compare (catalog keys, comma-separated) [default: "
                   f"{','.join(m.key for m in default_metrics())}].")
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
        from costlab.analyses.metrics import TRAINING_METRICS
        extra = [*(["latency_ms"] if latency else []), *(TRAINING_METRICS if training else ())]
        keys = list(dict.fromkeys([*(keys or [m.key for m in default_metrics()]), *extra]))
    variants = _variants(models, alpha, resolution, num_classes, sets)
    # a model or two take well under a second; more (or timing them) get a bar
    with progress_bar("compare") if len(variants) > 2 or latency else nullcontext() as bar:
        result = compare_models(variants, params=convention, dtype=dtype, batch=batch,
                                inputs=[parse_input(s) for s in inputs] or None, sort=sort,
                                metrics=keys, progress=bar.update if bar else None)
    document = stages_document(result) if per_stage else comparison_document(result)
    _emit(document, fmt, output)


@cli.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL[:KEY=VALUE,...]...",
                shell_complete=_complete_model)
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
    from costlab.papers.latency import proportionality_dict, seed001_proportionality
    from costlab.trace.inputs import parse_input
    with progress_bar("latency") as bar:
        report = measure_latency(
            _variants(models, alpha, resolution, num_classes, sets), device=device,
            dtype=dtype, batch=batch, threads=threads, min_time_s=min_time,
            per_layer=per_layer, inputs=[parse_input(s) for s in inputs] or None,
            recalibrate=recalibrate, progress=bar.say)
    check = seed001_proportionality(report)
    _emit(latency_document(report, [proportionality_dict(check)] if check else []), fmt,
          output)


@cli.command()
@click.argument("models", nargs=-1, metavar="[MODEL[:KEY=VALUE,...]]...",
                shell_complete=_complete_model)
@_model_options
@click.option("--params", "convention", type=_CONVENTIONS,
              help="Parameter counting convention [default: [tool.costlab] params, or torch].")
@click.option("--dtype", type=_DTYPES,
              help="Activation element type [default: [tool.costlab] dtype, or fp32].")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="The lock file [default: [tool.costlab] lockfile, or costlab.lock.json].")
@_allow_import_option
def snapshot(models: tuple[str, ...], alpha: float | None, resolution: int | None,
             num_classes: int | None, batch: int, inputs: tuple[str, ...],
             sets: tuple[str, ...], convention: str | None, dtype: str | None,
             output: str | None, allow_imports: tuple[str, ...]) -> None:
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
                       source=shown_path(path), root=config.root,
                       allow_imports=(*config.allow_imports, *allow_imports))
    write_lock(lock, path)
    _echo(f"wrote {shown_path(path)}: {plural(len(lock.entries), 'model')} (params "
               f"under '{lock.params}', memory at {lock.dtype})")


@cli.command()
@click.argument("lockfile", required=False, type=click.Path(dir_okay=False))
@click.option("--tolerance", type=click.FloatRange(min=0), metavar="PCT", callback=_finite,
              help="Growth allowed, in percent [default: [tool.costlab] tolerance, or 0].")
@click.option("--all", "show_all", is_flag=True,
              help="Show every metric, not only those that changed or have a budget.")
@click.option("--format", "fmt", type=_LiveChoice(lambda: formats(stdout=True)),
              help="Output format [default: github when $GITHUB_ACTIONS is set, else table, "
                   "as every command]; github prints ::error annotations for the pull request, "
                   "markdown pastes into a comment.")
@_allow_import_option
def check(lockfile: str | None, tolerance: float | None, show_all: bool,
          fmt: str | None, allow_imports: tuple[str, ...]) -> int:
    """Recompute every entry of the lock file and the budgets in pyproject.toml: exit 0 when
    nothing grew past the tolerance or a budget, 1 when something did, 2 on bad input. The
    markdown table is also appended to $GITHUB_STEP_SUMMARY when that is set."""
    from costlab.ci.check import run_check
    from costlab.ci.check_document import check_document
    fmt = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "table")
    result = run_check(lockfile, tolerance_pct=tolerance, allow_imports=allow_imports)
    document = check_document(result, show_all)
    _emit(document, fmt, None)
    if is_data(fmt):   # data on stdout: the verdict, in one line, on stderr
        click.echo(document.title, err=True)
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
    `list torchvision` or `list timm:vit_*` lists a zoo's model names instead; `list hf`, the
    models in the local Hugging Face cache that have a config."""
    zoo, _, glob = pattern.partition(":")
    if zoo in ("torchvision", "timm", "hf"):
        import fnmatch

        from costlab.models.zoo import hf_cache_dir, zoo_names
        names = fnmatch.filter(zoo_names(zoo), glob or "*")
        for name in names:
            _echo(f"{zoo}:{name}")
        if zoo == "hf" and not names:
            click.echo(f"costlab: no model with a config.json in the Hugging Face cache "
                       f"{hf_cache_dir()}{' matches ' + repr(glob) if glob else ''}; give "
                       "hf:ID (a model in that cache) or hf:DIR (a directory holding a "
                       "config.json, e.g. from config.save_pretrained); nothing is downloaded",
                       err=True)
        return
    from costlab.spec.catalog import match_specs
    for summary in match_specs(pattern):
        _echo(summary.line())


@cli.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
def schema_cmd(output: str | None) -> None:
    """The JSON Schema of a spec file, for editors: e.g. a first line
    `# yaml-language-server: $schema=costlab-spec.schema.json` in a spec."""
    from costlab.spec.document import json_schema
    _write(json_schema(), output)


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
            _echo(f"{slug:<36} {(TABLES[slug].__doc__ or '').strip().splitlines()[0]}")
        return 0
    out = Path(directory)
    if check:
        compared: list[str] = []
        with progress_bar("reproduce --check") as bar:
            drifts = check_reports(out, tables, compared, progress=bar.update)
        for drift in drifts:
            _echo(f"{drift.path}: differs from what the code computes "
                  f"(regenerate: costlab reproduce {drift.slug})".replace(" )", ")"))
            _echo("\n".join(drift.diff[:40]))
        if not drifts:   # a check that passes says so, in one line
            _echo(f"{len(compared)} file{'s' * (len(compared) != 1)} in {out} up to date "
                  "(reports, figure data and the index)")
        return 1 if drifts else 0
    with progress_bar("reproduce") as bar:
        written = write_reports(out, tables, figures, progress=bar.update)
    _echo(f"wrote {_files_summary(written)} in {out}")
    return 0


def _files_summary(paths: Sequence[Path]) -> str:
    """`13 reports, the index, 9 CSV files, 5 PNG files`: what reproduce wrote, in one line."""
    from collections import Counter

    from costlab.ci.check_document import plural
    from costlab.papers.reproduce import INDEX
    kinds = Counter("the index" if p.name == INDEX else "report" if p.suffix == ".md"
                    else f"{p.suffix[1:].upper()} file" for p in paths)
    return ", ".join(kind if kind == "the index" else plural(n, kind)
                     for kind, n in kinds.items()) or "nothing"


@cli.command()
@click.argument("model", required=False, shell_complete=_complete_model)
@click.option("--grid", "grids", multiple=True, metavar="KEY=V1,V2,...",
              help="A parameter's values; several --grid give their product.")
@click.option("--sample", type=int, metavar="N", help="Draw N configurations at random.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option("--range", "ranges", multiple=True, metavar="KEY=LO:HI[:STEP]",
              help="A parameter drawn by --sample (integers when LO and HI are).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="A parameter held fixed in every configuration.")
@click.option("--metrics", "metric_keys", metavar="KEY,...",
              help="Catalog metrics, comma-separated [default: compare's].")
@click.option("--params", "convention", type=_CONVENTIONS, default="torch", show_default=True,
              help="Parameter counting convention.")
@click.option("--dtype", type=_DTYPES, default="fp32", show_default=True,
              help="Activation element type for the memory metrics.")
@click.option("--format", "fmt", type=_FORMATS,
              help="Output format [default: from -o's extension (.parquet too), else table]; "
                   "parquet needs pyarrow and -o.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write to a file (`-` for stdout).")
@click.option("--pareto", metavar="X,Y", help="Mark the Pareto front of X (min) and Y.")
@click.option("--plot", type=click.Path(dir_okay=False), metavar="FILE.png|.svg",
              help="Draw Y against X with the front (needs --pareto; default macs,top1).")
@click.option("--workers", type=click.IntRange(min=1),
              help="Local processes [default: 1 for small sweeps, else the cores].")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on this Dask scheduler [default: $COSTLAB_SCHEDULER].")
@click.option("--from", "source", type=click.Path(dir_okay=False),
              help="Rerun the sweep a JSON output of costlab sweep defines.")
def sweep(model: str | None, grids: tuple[str, ...], sample: int | None, seed: int,
          ranges: tuple[str, ...], sets: tuple[str, ...], metric_keys: str | None,
          convention: str, dtype: str, fmt: str | None, output: str | None, pareto: str | None,
          plot: str | None, workers: int | None, scheduler: str | None,
          source: str | None) -> int:
    """The cost of every configuration of MODEL over a grid or a random sample of its
    parameters, one row each, with published accuracies joined and the Pareto front."""
    from costlab.analyses.sweep import SweepDefinition, parse_grid, parse_range, run_sweep
    from costlab.analyses.sweep_document import parse_pareto, plot_sweep, sweep_document
    if source is not None:
        definition = _sweep_from(source, model, grids, ranges, sample, sets, metric_keys)
    elif model is None:
        raise OptionError("name the MODEL to sweep, or give --from sweep.json")
    else:
        keys = tuple(k.strip() for k in metric_keys.split(",") if k.strip()) \
            if metric_keys else None
        definition = SweepDefinition(model, tuple(parse_grid(g) for g in grids),
                                     tuple(parse_range(r) for r in ranges), sample, seed,
                                     _settings(sets), keys, convention, dtype)
    axes = parse_pareto(pareto) if pareto else ("macs", "top1") if plot else None
    fmt = resolve_format(fmt, output)   # a bad format or -o fails before the sweep runs
    with progress_bar("sweep") as bar:
        result = run_sweep(definition, workers=workers, scheduler=scheduler,
                           progress=lambda done, total: bar.update(done, total))
    document = sweep_document(result, axes)
    _emit(document, fmt, output)
    if plot and axes:
        _wrote(plot_sweep(document, axes, plot))
    if not result.complete:
        click.echo(f"costlab: interrupted: wrote {len(result.rows)} of {result.total} rows",
                   err=True)
        return 130
    return 0


def _sweep_from(source: str, model: str | None, *given: Any) -> Any:
    """The definition embedded in a sweep's JSON; the sweep options do not mix with it."""
    import json

    from costlab.analyses.sweep import SweepDefinition
    if model is not None or any(given):
        raise OptionError("--from reruns a sweep as it was defined: give no MODEL, --grid, "
                          "--range, --sample, --set or --metrics with it")
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except OSError as exc:
        raise OptionError(f"cannot read {source!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise OptionError(f"{source}: not JSON ({first_line(exc)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("sweep"), dict):
        raise OptionError(f"{source}: no sweep definition (write one with costlab sweep "
                          "--format json)")
    return SweepDefinition.from_dict(data["sweep"])


def main() -> None:
    cli.main(prog_name="costlab")


if __name__ == "__main__":   # python -m costlab.cli, as python -m costlab
    main()
