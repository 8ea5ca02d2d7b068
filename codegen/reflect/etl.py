"""ETL jobs for a reflected spec (`--etl`): one job per resource, cursor and personal data found by name."""

from __future__ import annotations

import re

from codegen.spec.model import EtlCheck, EtlJob, EtlTransform, Field, LogicalType, Resource, Spec

# A timestamp column with one of these names (case and separators ignored) is the cursor.
CURSOR_NAMES = (
    "updated_at",
    "last_update",
    "last_updated",
    "modified",
    "modified_at",
    "last_modified",
    "updated",
    "update_time",
    "modified_date",
    "modifieddate",
    "updated_on",
    "modified_on",
)
_TIMESTAMPS = (LogicalType.DATETIME, LogicalType.DATE)
_INTEGERS = (LogicalType.INTEGER, LogicalType.BIG_INTEGER, LogicalType.SMALL_INTEGER)

# Column names that hold personal data, matched as whole words of the snake_case name; the transform
# says what reaches the destination (hash keeps joins and distinct counts, mask keeps a readable tail).
_PERSONAL: tuple[tuple[str, str, int], ...] = (
    (r"e_?mail(_address)?", "hash", 0),
    (r"(first|last|middle|given|family|full|maiden|sur)_?name", "hash", 0),
    (r"(phone|mobile|fax|telephone)(_?number)?", "mask", 2),
    (r"(street_)?address[0-9]?(_line_?[0-9])?", "hash", 0),
    (r"(postal_code|post_code|zip|zip_code|zipcode)", "mask", 0),
    (r"(birth_?date|date_of_birth|dob|birthday)", "hash", 0),
    (
        r"(ssn|social_security_number|passport(_number)?|national_id|tax_id|iban|credit_card(_number)?)",
        "hash",
        0,
    ),
    (r"(password|password_hash|passwd)", "drop", 0),
)

INCREMENTAL_SCHEDULE = "0 * * * *"
FULL_SCHEDULE = "30 2 * * *"


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def personal_transform(field: Field) -> tuple[str, int] | None:
    """(op, keep) for a field whose name says it holds personal data, else None."""
    for pattern, op, keep in _PERSONAL:
        if re.fullmatch(pattern, field.name):
            return op, keep
    return None


def find_cursor(resource: Resource) -> str | None:
    """The cursor of an incremental job: an updated_at-like timestamp, else a monotonic integer key."""
    wanted = {_squash(name) for name in CURSOR_NAMES}
    for field in resource.fields:
        if field.type in _TIMESTAMPS and _squash(field.name) in wanted:
            return field.name
    keys = resource.key_fields
    if len(keys) == 1 and keys[0].type in _INTEGERS and keys[0].generated:
        return keys[0].name
    return None


def job_for(resource: Resource) -> EtlJob:
    """The default job of one resource."""
    cursor = find_cursor(resource) if resource.kind == "table" else None
    transforms = []
    for field in resource.fields:
        if not field.personal_data or field.name in resource.primary_key or field.name == cursor:
            continue
        op, keep = personal_transform(field) or ("hash", 0)
        transforms.append(EtlTransform(field=field.name, op=op, keep=keep))  # type: ignore[arg-type]
    # Keys must not be null to be merged; uniqueness is the source's own constraint (and merge
    # keeps one row per key), so it is left to the spec's author to add where it matters.
    checks = []
    if resource.primary_key:
        checks.append(EtlCheck(check="not_null", fields=list(resource.primary_key), on_fail="skip"))
    for field in resource.fields:
        if (
            field.type is LogicalType.ENUM
            and field.enum_values
            and field.name not in {t.field for t in transforms}
        ):
            checks.append(
                EtlCheck(
                    check="accepted_values",
                    fields=[field.name],
                    values=list(field.enum_values),
                    on_fail="warn",
                )
            )
    if cursor is not None:
        disposition = "merge" if resource.primary_key else "append"
        return EtlJob(
            name=resource.name,
            resource=resource.name,
            mode="incremental",
            cursor=cursor,
            write_disposition=disposition,
            schedule=INCREMENTAL_SCHEDULE,
            transforms=transforms,
            checks=checks,
        )
    return EtlJob(
        name=resource.name,
        resource=resource.name,
        schedule=FULL_SCHEDULE,
        transforms=transforms,
        checks=checks,
    )


def add_etl_jobs(spec: Spec) -> Spec:
    """The spec with fields holding personal data marked and one ETL job per resource.

    A spec that already has jobs keeps them as they are (they may be hand-edited).
    """
    if spec.etl:
        return spec
    resources = []
    for resource in spec.resources:
        fields = [
            (
                field.model_copy(update={"personal_data": True})
                if not field.personal_data
                and personal_transform(field)
                and field.name not in resource.primary_key
                else field
            )
            for field in resource.fields
        ]
        resources.append(resource.model_copy(update={"fields": fields}))
    marked = spec.model_copy(update={"resources": resources})
    return marked.model_copy(update={"etl": [job_for(resource) for resource in resources]})
