"""Output formatting: every name printed is one printable line."""

from __future__ import annotations

from streamimages_desktop.cli.format import escape


def test_escape_makes_every_name_one_printable_line() -> None:
    assert escape("plain name.png") == "plain name.png"
    assert escape("new\nline\r\t.png") == "new\\nline\\r\\t.png"
    assert escape("bell\x07esc\x1b[31mred\x9bcsi") == "bell\\x07esc\\x1b[31mred\\x9bcsi"
    assert escape("back\\slash") == "back\\\\slash"
    assert escape("caf\udce9.png") == "caf\\udce9.png"  # an undecodable byte
    assert escape("evil\u202egnp.exe") == "evil\\u202egnp.exe"  # right-to-left override
    assert escape("<b>x</b> café ✓") == "<b>x</b> café ✓"
