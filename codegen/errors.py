"""The typed error tree; the CLI maps it to exit codes at one boundary."""

from __future__ import annotations


class CodegenError(Exception):
    """A failure the user can act on; its message is one line, with no traceback."""

    exit_code = 2


class SourceError(CodegenError):
    """The source (database URL, server, file) cannot be read."""


class SpecError(CodegenError):
    """A spec file is malformed, names something that does not exist, or has an unknown version."""


class TemplateError(CodegenError):
    """A template failed to render; the message names the template and line."""


class OutputError(CodegenError):
    """The output directory cannot be written as asked."""


class DifferencesFound(CodegenError):
    """A check or merge found differences or conflicts (exit 1)."""

    exit_code = 1
