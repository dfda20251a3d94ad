"""`Record`: immutable values declared like `typing.NamedTuple`, built without `typing`.

Every reading command builds the value types it passes through before its first query. As
dataclasses they cost about 25 ms there (importing `dataclasses` brings `inspect`, and each
class compiles its generated methods); `typing.NamedTuple` would still import `typing` and
compile each postponed annotation. A record is `collections.namedtuple` itself, so this only
reads the class body: its annotations name the fields, its assignments give the defaults,
everything else (methods, properties, the docstring) is copied onto the tuple class.

Type checkers see `typing.NamedTuple`; `test_record` builds every record of the package both
ways and compares them, so the two cannot drift apart. Values are tuples: compare them only
with their own type, and change one with `_replace`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    from collections import namedtuple

    # What the class body holds besides fields and members (as typing.NamedTuple skips them).
    _NOT_COPIED = frozenset(
        {"__module__", "__qualname__", "__annotations__", "__doc__", "__slots__", "__dict__"}
    )
    # What a namedtuple defines itself (typing.NamedTuple refuses these too).
    _REFUSED = frozenset(
        {"__new__", "__init__", "__getnewargs__", "_fields", "_field_defaults", "_make", "_replace"}
        | {"_asdict", "_source"}
    )

    class _RecordMeta(type):
        def __new__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> type:
            if not bases:  # `Record` itself
                return super().__new__(cls, name, bases, namespace)
            names = list(namespace.get("__annotations__", {}))
            defaults = [namespace[field] for field in names if field in namespace]
            if any(field in namespace for field in names[: len(names) - len(defaults)]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            record = namedtuple(name, names, defaults=defaults, module=namespace["__module__"])
            record.__qualname__ = str(namespace["__qualname__"])
            record.__doc__ = namespace.get("__doc__") or record.__doc__
            record.__annotations__ = namespace.get("__annotations__", {})  # as written: text
            for key, value in namespace.items():
                if key in _REFUSED:
                    raise AttributeError(f"{name}: a record may not define {key}")
                if key == "__classcell__":  # the tuple class is not this class body's
                    raise TypeError(f"{name}: a record's methods may not use super()")
                if key not in _NOT_COPIED and key not in names:
                    setattr(record, key, value)
            return record

    class Record(metaclass=_RecordMeta):
        """Base of a record class (see the module docstring)."""


__all__ = ["Record"]
