"""The intermediate spec: records, and reading and writing them."""

from __future__ import annotations

from codegen.spec.model import (
    SPEC_VERSION,
    Diagnostic,
    EtlJob,
    Field,
    Api,
    Index,
    LogicalType,
    MediaType,
    Model,
    Operation,
    Parameter,
    Relationship,
    RequestBody,
    Resource,
    Response,
    SecurityScheme,
    Source,
    Spec,
    Check,
    UniqueKey,
)

__all__ = [
    "SPEC_VERSION",
    "Api",
    "Diagnostic",
    "EtlJob",
    "Field",
    "Index",
    "LogicalType",
    "MediaType",
    "Model",
    "Operation",
    "Parameter",
    "Relationship",
    "RequestBody",
    "Resource",
    "Response",
    "SecurityScheme",
    "Source",
    "Spec",
    "Check",
    "UniqueKey",
]
