"""Cheap checks and conversions of event fields, mirroring the contract's limits (docs/contracts.md).

The server refuses a whole batch when one event breaks a rule, so the client refuses the bad value at the
`log_*` call instead, with a message naming the field, as the server would.
"""
import math
import operator
import re

MAX_EPOCH = 10_000_000
INT_MAX = 2 ** 31 - 1
LONG_MAX = 2 ** 63 - 1
MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 4000
MAX_KEY_LENGTH = 256
MAX_LAYERS = 10_000
MAX_EXTRA = 256
MAX_HYPERPARAMETERS = 256
MAX_RUN_ID_LENGTH = 128
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")

_INF = math.inf


def number(field, value):
    """A JSON number, or "NaN" / "Infinity" / "-Infinity" for non-finite values (contract: number*)."""
    kind = type(value)
    if kind is int:
        return value
    if kind is not float:
        if kind is bool or kind is str or value is None:
            raise ValueError("%s: must be a number, was %s" % (field, kind.__name__))
        try:
            value = float(value)  # numpy scalars, 0-d tensors
        except (TypeError, ValueError):
            raise ValueError("%s: must be a number, was %s" % (field, kind.__name__)) from None
    if value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return value


def non_negative(field, value):
    """A magnitude (contract: number>=0*): >= 0, "NaN" or "Infinity"."""
    converted = number(field, value)
    if converted == "-Infinity" or (type(converted) is not str and converted < 0):
        raise ValueError("%s: must be >= 0, was %r" % (field, value))
    return converted


def integer(field, value, lowest, highest):
    """An integer within [lowest, highest]; 3.0 counts as 3 (as in the contract), 1.5 is refused."""
    if type(value) is not int:
        if type(value) is bool:
            raise ValueError("%s: must be an integer, was bool" % field)
        if type(value) is float:
            if not value.is_integer():
                raise ValueError("%s: must be an integer, was %r" % (field, value))
            value = int(value)
        else:
            try:
                value = operator.index(value)
            except TypeError:
                raise ValueError("%s: must be an integer, was %s" % (field, type(value).__name__)) from None
    if value < lowest or value > highest:
        raise ValueError("%s: must be >= %d and <= %d, was %d" % (field, lowest, highest, value))
    return value


def number_map(field, mapping, max_entries):
    """A map name -> number*, names 1..256 characters, at most max_entries entries."""
    if not isinstance(mapping, dict):
        raise ValueError("%s: must be a dict of name -> number, was %s" % (field, type(mapping).__name__))
    if len(mapping) > max_entries:
        raise ValueError("%s: must have at most %d entries, had %d" % (field, max_entries, len(mapping)))
    out = {}
    for key, value in mapping.items():
        if value is None:
            continue  # absent means unknown
        name = key if type(key) is str else str(key)
        if not name or len(name) > MAX_KEY_LENGTH:
            raise ValueError("%s: names must have 1 to %d characters, was %r" % (field, MAX_KEY_LENGTH, name[:300]))
        out[name] = number("%s.%s" % (field, name), value)
    return out


def text(field, value, max_length):
    if not isinstance(value, str):
        value = str(value)
    if len(value) > max_length:
        raise ValueError("%s: must have at most %d characters, had %d" % (field, max_length, len(value)))
    return value


def clip_text(value, max_length):
    """Free text the client writes itself (an error message) is shortened rather than refused."""
    value = str(value)
    return value if len(value) <= max_length else value[: max_length - 1] + "\u2026"


def json_value(value, depth=0):
    """Any value as JSON the server accepts: non-finite floats as strings, unknown objects as their str()."""
    if depth > 32:
        return str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return number("value", value)
    if isinstance(value, dict):
        return {str(k): json_value(v, depth + 1) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [json_value(v, depth + 1) for v in value]
    try:
        return number("value", float(value))  # numpy / torch scalars
    except (TypeError, ValueError):
        return str(value)


def run_id_part(value):
    """A project or name turned into characters a run id may hold."""
    cleaned = re.sub(r"[^A-Za-z0-9._:-]+", "-", str(value)).strip("-._:")
    return cleaned[:50]


def check_run_id(run_id):
    if not isinstance(run_id, str) or not run_id or len(run_id) > MAX_RUN_ID_LENGTH or not RUN_ID_PATTERN.match(run_id):
        raise ValueError("run_id: must be 1 to %d characters matching %s, was %r"
                         % (MAX_RUN_ID_LENGTH, RUN_ID_PATTERN.pattern, run_id))
    return run_id
