"""The filters and globals the templates use, as a Jinja extension copier can load too."""

from __future__ import annotations

import jinja2
from jinja2.ext import Extension

from codegen.render.layout import assign_list, fit, tuple_literal
from codegen.render.pyliteral import py_literal


class CodegenExtension(Extension):
    """`py` and `tuple_literal` filters, `fit` and `assign_list` for black-stable code, `format_column`."""

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        environment.filters["py"] = py_literal
        environment.filters["tuple_literal"] = tuple_literal
        environment.filters["format_column"] = "{}.column".format
        environment.globals["fit"] = fit
        environment.globals["assign_list"] = assign_list
