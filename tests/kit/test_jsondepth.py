from __future__ import annotations

import json
import sys

import pytest

from surgiai.kit.jsondepth import nesting_depth


class TestNestingDepth:
    @pytest.mark.parametrize(
        ("text", "depth"),
        [
            (b"1", 0),
            (b'"[[["', 0),
            (b"[]", 1),
            (b"{}", 1),
            (b'{"a": [1, {"b": []}]}', 4),
            (b'[{"x": "}}}]]]"}, [[]]]', 3),
            # Escaped quotes and backslashes do not end a string early.
            (b'["a \\" [[[ \\\\", [["b"]]]', 3),
            (b'{"k\\"{[": "\\\\"}', 1),
        ],
    )
    def test_counts_brackets_outside_strings(self, text: bytes, depth: int) -> None:
        assert nesting_depth(text) == depth
        assert nesting_depth(text) == _parsed_depth(json.loads(text))

    def test_a_nesting_that_would_exhaust_the_stack_is_measured_without_recursion(self) -> None:
        levels = sys.getrecursionlimit() * 100
        assert nesting_depth(b"[" * levels + b"]" * levels) == levels
        assert nesting_depth(b'{"a":' * levels + b"1" + b"}" * levels) == levels


def _parsed_depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_parsed_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_parsed_depth, value), default=0)
    return 0
