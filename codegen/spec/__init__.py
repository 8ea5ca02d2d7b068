"""The intermediate spec: records, and reading and writing them."""

from __future__ import annotations

from codegen.spec.model import (
    SPEC_VERSION,
    Diagnostic,
    EtlJob,
    Field,
    Index,
    LogicalType,
    Operation,
    Parameter,
    Relationship,
    Resource,
    Source,
    Spec,
    UniqueKey,
)

__all__ = [
    "SPEC_VERSION",
    "Diagnostic",
    "EtlJob",
    "Field",
    "Index",
    "LogicalType",
    "Operation",
    "Parameter",
    "Relationship",
    "Resource",
    "Source",
    "Spec",
    "UniqueKey",
]
