"""Record: what type checkers are told (typing.NamedTuple) is what runs."""

from __future__ import annotations
import __future__

import ast
import importlib
import inspect
import pkgutil
import typing
from pathlib import Path

import pytest

import streamimages_desktop.core
from streamimages_desktop.core.record import Record


def _record_classes() -> list[tuple[str, ast.ClassDef]]:
    """(module, class) of every `class X(Record)` in core, read from the source."""
    found = []
    for info in pkgutil.walk_packages(
        streamimages_desktop.core.__path__, "streamimages_desktop.core."
    ):
        spec = importlib.util.find_spec(info.name)
        assert spec is not None and spec.origin is not None
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(base, ast.Name) and base.id == "Record" for base in node.bases
            ):
                found.append((info.name, node))
    return found


RECORDS = _record_classes()


def test_the_read_path_types_are_records() -> None:
    names = {node.name for _, node in RECORDS}
    assert {"Stream", "StreamImage", "Stats", "Spec", "Settings", "LocalLibrary"} <= names


@pytest.mark.parametrize(("module_name", "node"), RECORDS, ids=[n.name for _, n in RECORDS])
def test_each_record_is_what_typing_namedtuple_makes(module_name: str, node: ast.ClassDef) -> None:
    """The class body run again with typing.NamedTuple as its base gives the same class."""
    module = importlib.import_module(module_name)
    ours = getattr(module, node.name)
    namespace = dict(vars(module), Record=typing.NamedTuple)
    code = compile(
        ast.Module(body=[node], type_ignores=[]),
        module.__file__ or module_name,
        "exec",
        flags=__future__.annotations.compiler_flag,
        dont_inherit=True,
    )
    exec(code, namespace)
    theirs = namespace[node.name]

    assert ours._fields == theirs._fields
    assert ours._field_defaults == theirs._field_defaults
    assert ours.__doc__ == theirs.__doc__
    assert ours.__module__ == theirs.__module__ and ours.__qualname__ == theirs.__qualname__
    members = {k for k in vars(theirs) if not k.startswith("__")} - {"_fields", "_field_defaults"}
    for key in sorted(members):
        assert key in vars(ours), key
    own = {k for k in vars(theirs) if k not in vars(tuple) and not k.startswith("_")}
    assert own == {k for k in vars(ours) if k not in vars(tuple) and not k.startswith("_")}
    assert _parameters(ours) == _parameters(theirs)
    assert list(ours.__annotations__) == list(theirs.__annotations__)


def _parameters(cls: type) -> list[tuple[str, object]]:
    return [(p.name, p.default) for p in inspect.signature(cls).parameters.values()]


class Point(Record):
    """A point on the grid."""

    x: int
    y: int = 0
    label: str = ""

    @property
    def far(self) -> bool:
        return abs(self.x) + abs(self.y) > 10

    def moved(self, dx: int) -> Point:
        return self._replace(x=self.x + dx)


def test_a_record_is_an_immutable_named_tuple() -> None:
    p = Point(3)
    assert p == Point(x=3, y=0, label="") and p.y == 0 and p.label == ""
    assert repr(p) == "Point(x=3, y=0, label='')"
    assert Point.__doc__ == "A point on the grid."
    assert p.moved(20).far and not p.far
    assert hash(p) == hash(Point(3))
    assert p._asdict() == {"x": 3, "y": 0, "label": ""}
    with pytest.raises(AttributeError):
        p.x = 4  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.z = 4  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]


def test_what_a_record_refuses() -> None:
    with pytest.raises(TypeError, match="follows one with a default"):

        class _Backwards(Record):
            a: int = 0
            b: int  # type: ignore[misc]

    with pytest.raises(AttributeError, match="may not define __new__"):

        class _OwnNew(Record):  # type: ignore[misc]
            a: int

            def __new__(cls, a: int) -> _OwnNew:  # type: ignore[misc]
                raise AssertionError

    with pytest.raises(TypeError, match="super"):

        class _Super(Record):
            a: int

            def text(self) -> str:
                return super().__repr__()
