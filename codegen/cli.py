"""The command line: flags in, one call into `codegen.api`, an exit code out."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from codegen import __version__
from codegen.errors import CodegenError

app = typer.Typer(
    name="codegen",
    help="Turn a live database or an OpenAPI file into a complete, standalone API project.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SchemaOpt = Annotated[list[str] | None, typer.Option("--schema", help="Database schema to read (repeatable).")]
IncludeOpt = Annotated[list[str] | None, typer.Option("--include", help="Glob of tables to keep (repeatable).")]
ExcludeOpt = Annotated[list[str] | None, typer.Option("--exclude", help="Glob of tables to leave out (repeatable).")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Project name (default: from the source).")]
EtlOpt = Annotated[
    bool,
    typer.Option("--etl", help="Add ETL jobs (one per resource) to the spec and an etl/ package to the project."),
]


def _fail(error: CodegenError) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(error.exit_code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"codegen {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """codegen: reflect a source into a spec, render a project from it, keep it current."""


def _stderr_progress(message: str) -> None:
    if sys.stderr.isatty():
        typer.echo(message, err=True)


@app.command()
def reflect(
    source: Annotated[str, typer.Argument(help="Database URL, API description, or spec file.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Spec file to write (default: stdout).")] = None,
    schema: SchemaOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    name: NameOpt = None,
    etl: EtlOpt = False,
) -> None:
    """Read SOURCE and print (or write) its intermediate spec."""
    from codegen import api
    from codegen.spec.io import dump_spec

    try:
        spec = api.reflect(source, schemas=schema, include=include, exclude=exclude, name=name,
                           progress=_stderr_progress, etl=etl)
        fmt = "json" if output is not None and output.suffix == ".json" else "yaml"
        text = dump_spec(spec, fmt)
        if output is None:
            sys.stdout.write(text)
        else:
            from codegen.writer import write_text_atomic

            write_text_atomic(output, text)
    except CodegenError as error:
        _fail(error)


@app.command()
def generate(
    source: Annotated[str, typer.Argument(help="Database URL, API description, or spec file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="New project directory.")],
    target: Annotated[str, typer.Option("--target", help="fastapi or flask")] = "fastapi",
    auth: Annotated[str, typer.Option("--auth", help="apikey (default), jwt or none.")] = "apikey",
    ci: Annotated[
        bool, typer.Option("--ci", help="Add GitHub workflows and a pre-commit hook that run codegen check.")
    ] = False,
    templates: Annotated[
        Path | None, typer.Option("--templates", help="Folder of templates overriding the built-in ones.")
    ] = None,
    template: Annotated[
        str | None, typer.Option("--template", help="A whole copier template set: a folder or a git URL.")
    ] = None,
    template_ref: Annotated[
        str | None, typer.Option("--template-ref", help="Git tag or commit of --template.")
    ] = None,
    schema: SchemaOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    name: NameOpt = None,
    etl: EtlOpt = False,
    etl_engine: Annotated[
        str,
        typer.Option("--etl-engine", help="local (default): one process per run; dask: partitions on Dask."),
    ] = "local",
    etl_scheduler: Annotated[
        str, typer.Option("--etl-scheduler", help="cron (default, crontab lines only), airflow or dagster.")
    ] = "cron",
) -> None:
    """Generate a complete API project from SOURCE into a new directory."""
    from codegen import api

    try:
        with _progress("rendering") as advance:
            files = api.generate(source, output, target=target, auth=auth, ci=ci, schemas=schema,
                                 include=include, exclude=exclude, name=name, templates=templates,
                                 template=template, template_ref=template_ref, progress=advance,
                                 etl=etl, etl_engine=etl_engine, etl_scheduler=etl_scheduler)
    except CodegenError as error:
        _fail(error)
    typer.echo(f"wrote {len(files)} files to {output}", err=True)


SourceOpt = Annotated[
    str | None, typer.Option("--source", help="Source to read instead of the one recorded in .codegen/.")
]


@app.command()
def regenerate(
    project: Annotated[Path, typer.Argument(help="A project codegen generated.")] = Path("."),
    source: SourceOpt = None,
    templates: Annotated[Path | None, typer.Option("--templates", help="Template overrides.")] = None,
) -> None:
    """Re-read the source and merge the new output into PROJECT, keeping your edits."""
    from codegen import update

    try:
        report = update.regenerate(project, source=source, templates=templates)
    except CodegenError as error:
        _fail(error)
    for change in report.changes:
        typer.echo(f"  {change}")
    for label, paths in (("updated", report.written), ("created", report.created), ("removed", report.removed),
                         ("merged with your edits", report.merged),
                         ("kept (you edited it; its resource is gone)", report.kept)):
        for path in paths:
            typer.echo(f"{label}: {path}")
    if report.conflicts:
        for path in report.conflicts:
            typer.echo(f"CONFLICT (both changed the same lines; see <<<<<<< markers): {path}", err=True)
        raise typer.Exit(1)
    if not report.touched:
        typer.echo("up to date")


@app.command()
def check(
    project: Annotated[Path, typer.Argument(help="A project codegen generated.")] = Path("."),
    source: SourceOpt = None,
) -> None:
    """Exit 0 when regenerating PROJECT would change nothing, 1 (with a summary) when it would."""
    from codegen import update

    try:
        changes, files = update.check(project, source=source)
    except CodegenError as error:
        _fail(error)
    if not changes and not files:
        typer.echo("up to date")
        return
    for change in changes:
        typer.echo(f"  {change}")
    typer.echo(f"{len(files)} generated file(s) would change: {', '.join(files[:10])}"
               + (" ..." if len(files) > 10 else ""))
    raise typer.Exit(1)


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="Spec file, source, or generated project (its recorded spec).")],
    new: Annotated[str, typer.Argument(help="Spec file, source, or generated project.")],
) -> None:
    """List the API changes from OLD to NEW; exit 1 when one of them breaks clients."""
    from codegen import update
    from codegen.specdiff import diff_specs

    try:
        changes = diff_specs(update.load_for_diff(old), update.load_for_diff(new))
    except CodegenError as error:
        _fail(error)
    for change in changes:
        typer.echo(str(change))
    if not changes:
        typer.echo("no API changes")
    if any(change.breaking for change in changes):
        raise typer.Exit(1)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on a terminal once there are enough files to wait for; silent otherwise."""
    bars: list[Any] = []

    def advance(done: int, total: int) -> None:
        if not bars and sys.stderr.isatty() and total >= 200:
            bars.append(typer.progressbar(length=total, label=label, file=sys.stderr).__enter__())
        if bars:
            bars[0].update(done - bars[0].pos)

    try:
        yield advance
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


templates_app = typer.Typer(help="Work with template sets.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")


@templates_app.command("export")
def templates_export(
    target: Annotated[str, typer.Argument(help="fastapi or flask")],
    directory: Annotated[Path, typer.Argument(help="New folder to copy the templates into.")],
) -> None:
    """Copy the built-in templates of TARGET into DIRECTORY as a starting point for your own."""
    from codegen.render.env import export_templates

    try:
        count = export_templates(target, directory)
    except CodegenError as error:
        _fail(error)
    typer.echo(f"copied {count} templates to {directory}; use them with --templates or --template")


@templates_app.command("context")
def templates_context(
    source: Annotated[str, typer.Argument(help="Database URL, API description, or spec file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="YAML file for `copier copy --data-file`.")],
) -> None:
    """Write the context the templates receive for SOURCE, for rendering them with copier directly."""
    import yaml

    from codegen import api
    from codegen.render.context import project_context
    from codegen.writer import write_text_atomic

    try:
        context = project_context(api.reflect(source), {"auth": "apikey"})
    except CodegenError as error:
        _fail(error)
    write_text_atomic(output, yaml.safe_dump(context, sort_keys=False, allow_unicode=True))


def main() -> None:
    """Console entry point."""
    # One command builds many long-lived objects (the spec's records, the template context, the
    # libraries' modules) and little cyclic garbage: collecting the youngest generation every 50,000
    # allocations instead of 700 spares repeated full scans of that growing heap, and freezing the
    # heap once the command is done spares the collections of interpreter shutdown (together about
    # 0.5 s of CPU of `check` on the 300-table benchmark, docs/benchmarks.md). Files and connections
    # are closed by the code that opened them, not by the collector.
    gc.set_threshold(50_000, 20, 100)
    try:
        app()
    finally:
        gc.freeze()
