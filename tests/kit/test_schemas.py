"""The shared API types: bounded ids, JSON values taken as sent, ISO dates, partial updates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from surgiai.kit.schemas import (
    JSON_NUMBER,
    MAX_ID,
    NOT_A_BOOL,
    BodyId,
    Day,
    Flag,
    Id,
    Moment,
    PartialUpdate,
)


def accepts(annotation: Any, value: object) -> bool:
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError:
        return False
    return True


class TestIds:
    def test_ids_are_64_bit_row_ids(self) -> None:
        assert accepts(Id, 1) and accepts(Id, MAX_ID) and accepts(Id, "42")
        assert not accepts(Id, 0) and not accepts(Id, MAX_ID + 1) and not accepts(Id, 2**64)

    def test_a_body_id_is_a_json_number(self) -> None:
        assert accepts(BodyId, 7)
        assert not accepts(BodyId, True)
        assert not accepts(BodyId, "7")
        assert not accepts(BodyId, MAX_ID + 1)


class TestJsonValues:
    @pytest.mark.parametrize("value", [0, 1, "true", "yes", None])
    def test_a_flag_is_true_or_false_only(self, value: object) -> None:
        assert not accepts(Flag, value)
        assert accepts(Flag, True) and accepts(Flag, False)

    def test_a_json_number_is_no_boolean_or_text(self) -> None:
        seats = Annotated[int, Field(ge=0, le=100), JSON_NUMBER]
        assert accepts(seats, 40)
        assert not accepts(seats, False) and not accepts(seats, "40")

    def test_a_filter_number_may_be_text_but_not_a_boolean(self) -> None:
        score = Annotated[int, Field(ge=0, le=100), NOT_A_BOOL]
        assert accepts(score, "70") and accepts(score, 70)
        assert not accepts(score, True)

    def test_constraints_stay_in_the_schema(self) -> None:
        seats = Annotated[int, Field(ge=0, le=100), JSON_NUMBER]
        schema = TypeAdapter(seats).json_schema()
        assert (schema["minimum"], schema["maximum"]) == (0, 100)

    @pytest.mark.parametrize("value", [0, 0.5, "0.5", "1767225600", "1e9"])
    def test_dates_and_times_are_iso_text_not_seconds(self, value: object) -> None:
        assert not accepts(Moment, value)
        assert not accepts(Day, value)

    def test_iso_dates_and_times_are_read(self) -> None:
        moment = TypeAdapter(Moment).validate_python("2026-01-31T09:30:00+00:00")
        assert moment == datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
        assert TypeAdapter(Day).validate_python("2026-02-14") == date(2026, 2, 14)


class CourseChange(PartialUpdate):
    clearable: ClassVar[frozenset[str]] = frozenset({"city"})

    title: str | None = None
    city: str | None = None


class TestPartialUpdate:
    def test_null_clears_only_a_clearable_field(self) -> None:
        assert CourseChange.model_validate({"city": None}).model_fields_set == {"city"}
        with pytest.raises(ValidationError, match="title: must have a value"):
            CourseChange.model_validate({"title": None})

    def test_the_schema_offers_null_only_where_it_clears(self) -> None:
        properties = CourseChange.model_json_schema()["properties"]
        assert properties["title"] == {"type": "string", "title": "Title"}
        assert {"type": "null"} in properties["city"]["anyOf"]

    def test_a_field_left_out_is_kept(self) -> None:
        assert CourseChange.model_validate({}).model_fields_set == set()

    def test_it_is_a_plain_model_otherwise(self) -> None:
        assert issubclass(CourseChange, BaseModel)
