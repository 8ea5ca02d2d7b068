"""The command line: flags in, one call into `codegen.api`, an exit code out."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from codegen import __version__, api
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
) -> None:
    """Read SOURCE and print (or write) its intermediate spec."""
    from codegen.spec.io import dump_spec

    try:
        spec = api.reflect(source, schemas=schema, include=include, exclude=exclude, name=name,
                           progress=_stderr_progress)
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
    target: Annotated[str, typer.Option("--target", help="fastapi")] = "fastapi",
    auth: Annotated[str, typer.Option("--auth", help="apikey (default) or none.")] = "apikey",
    templates: Annotated[
        Path | None, typer.Option("--templates", help="Folder of templates overriding the built-in ones.")
    ] = None,
    schema: SchemaOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    name: NameOpt = None,
) -> None:
    """Generate a complete API project from SOURCE into a new directory."""
    try:
        with _progress("rendering") as advance:
            files = api.generate(source, output, target=target, auth=auth, schemas=schema, include=include,
                                 exclude=exclude, name=name, templates=templates, progress=advance)
    except CodegenError as error:
        _fail(error)
    typer.echo(f"wrote {len(files)} files to {output}", err=True)


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


def main() -> None:
    """Console entry point."""
    app()
