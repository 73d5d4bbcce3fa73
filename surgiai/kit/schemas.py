"""What every API schema shares: bounded ids and counts, partial updates that refuse null where
null means nothing, and the one error body.

Every integer the API reads is bounded (`tests/web/test_openapi.py` walks the spec to keep it
so): a number past 64 bits is a 422, never an overflow in the database driver."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, Field, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError
from pydantic_core.core_schema import CoreSchema

# The largest BIGINT of PostgreSQL and SQLite's INTEGER.
MAX_ID = 2**63 - 1
# Row ids, as paths, queries and bodies name them.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Page numbers and other counts a client may ask for.
Count = Annotated[int, Field(ge=0, le=MAX_ID)]

# A JSON body's values as sent, as the OpenAPI describes them: pydantic would otherwise read 0
# as false, true as 1 and "5" as 5. (Paths, queries and forms are text: they keep the lax
# types.) A marker goes after any `Field` constraint, so that the OpenAPI still shows those.


def _json_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _json_number(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise ValueError("must be a number")
    return value


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


JSON_BOOL = BeforeValidator(_json_bool)
JSON_NUMBER = BeforeValidator(_json_number)
# For a model read from a query string and from JSON alike (a filter): text becomes a number,
# true and false do not.
NOT_A_BOOL = BeforeValidator(_not_a_bool)
Flag = Annotated[bool, JSON_BOOL]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID), JSON_NUMBER]


def _iso_text(value: Any) -> Any:
    """Dates and times as ISO 8601 text only: pydantic would read 0.5 as half a second after
    1970, which no client means."""
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        raise ValueError("must be ISO 8601 text, like 2026-01-31 or 2026-01-31T09:30:00+05:30")
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


Moment = Annotated[datetime, BeforeValidator(_iso_text)]
Day = Annotated[date, BeforeValidator(_iso_text)]


class PartialUpdate(BaseModel):
    """A PATCH body: a field left out keeps its value; null clears only the fields listed in
    `clearable` (a phone, an assignee): for the others it is a 422, and the OpenAPI does not
    offer it."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _refuse_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            refused = [
                key
                for name, field in cls.model_fields.items()
                if name not in cls.clearable
                for key in {name, field.alias or name}
                if key in data and data[key] is None
            ]
            if refused:
                raise PydanticCustomError(
                    "null_refused",
                    "{fields}: must have a value (leave the field out to keep it)",
                    {"fields": ", ".join(sorted(refused))},
                )
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: Any) -> JsonSchemaValue:
        json_schema: JsonSchemaValue = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        for name, field in cls.model_fields.items():
            prop = target.get("properties", {}).get(field.alias or name)
            if name in cls.clearable or prop is None:
                continue
            _drop_null(prop)
        return json_schema


def _drop_null(prop: dict[str, Any]) -> None:
    """`anyOf: [X, null]` becomes X, keeping the property's own title and description."""
    options = prop.get("anyOf")
    if options is None:
        return
    kept = [option for option in options if option != {"type": "null"}]
    if prop.get("default", ...) is None:
        del prop["default"]
    if len(kept) == 1:
        del prop["anyOf"]
        prop.update(kept[0])
    else:
        prop["anyOf"] = kept


class ErrorBody(BaseModel):
    """Every error the API answers: 4xx and 5xx alike."""

    error: str = Field(description='The kind of error ("NotFound", "ValidationError", …)')
    detail: str = Field(description="What went wrong, for people")


# What each error status means, as the OpenAPI describes it.
DESCRIPTIONS = {
    400: "Bad request: a body that is not JSON, a cursor this API did not return, …",
    401: "Not logged in (or the login failed)",
    403: "Logged in, but the role may not do this (or a cookie session sent no CSRF token)",
    404: "No such resource",
    409: "Conflicts with what is stored (a duplicate, a state that does not allow it)",
    413: "The upload is too large",
    415: "The upload's type is not one this route takes",
    422: "The request did not validate: `detail` names each problem",
    429: "Too many attempts: try again later",
    503: "A dependency (the database, WhatsApp) is not available: try again later",
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that can answer errors the OpenAPI would not find from its
    shape (see `web.openapi`)."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in status_codes}
