"""How deeply a JSON text nests, found without parsing it.

A parser (Python's `json`, our own walks over parsed payloads) descends one stack frame per
level, so a hostile text nested a thousand levels deep raises `RecursionError` wherever it is
read. This answers first, without recursion and in C-speed passes: strings are removed (their
brackets are text), then the remaining brackets are counted up and down.
"""

from __future__ import annotations

import re
from itertools import accumulate

# A JSON string: a quote, then runs of ordinary bytes or escapes, then the closing quote. Written
# as `"[^"\\]*(?:\\.[^"\\]*)*"` (no alternation per byte), which the regex engine walks without
# backtracking. An unterminated string does not match: its text is then counted as brackets,
# which only matters for a body no parser would accept anyway.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nesting_depth(text: bytes) -> int:
    """The deepest level of arrays and objects in `text` (0 for a scalar, 1 for `[]` or `{}`);
    brackets inside strings do not count."""
    brackets = _STRING.sub(b"", text).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
