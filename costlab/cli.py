"""The `costlab` command: thin click commands over the library API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from costlab.errors import CostlabError, OptionError
from costlab.params import ParamConvention
from costlab.report import Format

__all__ = ["cli", "main"]


class _Cli(click.Group):
    """Turns every user mistake (a CostlabError or a bad option) into one line and exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
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
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OptionError(f"cannot write {output!r}: {exc.strerror}") from None


def _settings(pairs: tuple[str, ...]) -> dict[str, Any]:
    from costlab.models import parse_setting
    return dict(parse_setting(p) for p in pairs)


@click.group(cls=_Cli)
@click.version_option(package_name="costlab")
def cli() -> None:
    """Exact, layer-by-layer cost of neural-network architectures."""


@cli.command()
@click.argument("model")
@click.option("--alpha", type=float, help="Width multiplier (spec parameter).")
@click.option("--resolution", type=int, help="Input height and width.")
@click.option("--num-classes", type=int, help="Classifier outputs (spec parameter).")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--input", "inputs", multiple=True, metavar="SHAPE",
              help="Input shape such as 1x3x224x224, for import-path models; repeatable.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Any other spec parameter, or a keyword argument of the callable.")
@click.option("--params", "convention", type=click.Choice([c.value for c in ParamConvention]),
              default="torch", show_default=True, help="Parameter counting convention.")
@click.option("--depth", type=click.IntRange(min=0), help="Sum rows up to this module depth.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default="table",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@click.option("--strict", is_flag=True, help="Fail when an op has no cost rule.")
def report(model: str, alpha: float | None, resolution: int | None, num_classes: int | None,
           batch: int, inputs: tuple[str, ...], sets: tuple[str, ...], convention: str,
           depth: int | None, fmt: str, output: str | None, strict: bool) -> None:
    """MACs, parameters and the layer table of MODEL (a spec name, a spec file, or
    package.module:callable)."""
    from costlab.api import analyze
    from costlab.models import parse_shape
    from costlab.report import render
    analysis = analyze(model, alpha=alpha, resolution=resolution, num_classes=num_classes,
                       batch=batch, inputs=[parse_shape(s) for s in inputs] or None,
                       params=convention, depth=depth, strict=strict, settings=_settings(sets))
    _write(render(analysis, fmt), output)


def _model_options(fn: Any) -> Any:
    """The options every command that builds a model shares."""
    for option in reversed([
        click.option("--alpha", type=float, help="Width multiplier (spec parameter)."),
        click.option("--resolution", type=int, help="Input height and width."),
        click.option("--num-classes", type=int, help="Classifier outputs (spec parameter)."),
        click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True),
        click.option("--input", "inputs", multiple=True, metavar="SHAPE",
                     help="Input shape such as 1x3x224x224, for import-path models."),
        click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                     help="Any other spec parameter, or a keyword argument of the callable."),
    ]):
        fn = option(fn)
    return fn


@cli.command()
@click.argument("model")
@_model_options
@click.option("--dtype", type=click.Choice(["fp32", "fp16", "bf16", "int8"]),
              help="Activation element type [default: fp16, as Table 3; fp32 with --training].")
@click.option("--view", type=click.Choice(["all", "blocks", "bottlenecks"]), default="blocks",
              show_default=True, help="Which tensors count for the per-resolution maxima.")
@click.option("--training", is_flag=True, help="Add the memory of a training step.")
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam"]), default="adam",
              show_default=True)
@click.option("--measure", is_flag=True, help="Also run the real model and measure its peak.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default="table",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
def memory(model: str, alpha: float | None, resolution: int | None, num_classes: int | None,
           batch: int, inputs: tuple[str, ...], sets: tuple[str, ...], dtype: str | None,
           view: str, training: bool, optimizer: str, measure: bool, fmt: str,
           output: str | None) -> None:
    """Feature-map memory of MODEL: largest tensor per resolution, peak, training."""
    from costlab.api import memory as memory_analysis
    from costlab.models import parse_shape
    from costlab.report_memory import render_memory
    analysis, mem = memory_analysis(
        model, dtype=dtype, view=view, training=training, optimizer=optimizer,
        measure=measure, alpha=alpha, resolution=resolution, num_classes=num_classes,
        batch=batch, inputs=[parse_shape(s) for s in inputs] or None, settings=_settings(sets))
    _write(render_memory(analysis, mem, fmt), output)


@cli.command("list")
@click.argument("pattern", default="*")
def list_specs(pattern: str) -> None:
    """The specs available, one line each."""
    import fnmatch

    from costlab.models import find_specs
    from costlab.spec import load_spec
    for name, path in find_specs().items():
        if fnmatch.fnmatch(name, pattern):
            spec = load_spec(path)
            params = " ".join(f"{p.name}={p.default}" for p in spec.params.values())
            click.echo(f"{name:<26} {spec.title:<30} {params}")


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
    from costlab.reproduce import TABLES, _select, check_reports, reproduce
    if list_only:
        for slug in _select(()):
            click.echo(f"{slug:<36} {(TABLES[slug].__doc__ or '').strip().splitlines()[0]}")
        return 0
    out = Path(directory)
    if check:
        drifts = check_reports(out, tables)
        for drift in drifts:
            click.echo(f"{drift.path}: differs from what the code computes "
                       f"(regenerate: costlab reproduce {drift.slug})")
            click.echo("\n".join(drift.diff[:40]))
        return 1 if drifts else 0
    out.mkdir(parents=True, exist_ok=True)
    for slug, text in reproduce(tables).items():
        (out / f"{slug}.md").write_text(text, encoding="utf-8")
        click.echo(f"wrote {out / (slug + '.md')}")
    if not tables or figures:
        from costlab.figures import draw_figures
        for path in draw_figures(out):
            click.echo(f"wrote {path}")
    return 0


def main() -> None:
    cli.main(prog_name="costlab")
