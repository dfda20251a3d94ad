"""README.md's settings table is the declarations in core/settings.py, row for row."""

from __future__ import annotations

from pathlib import Path

from streamimages_desktop.core.settings import SPECS, default_text, range_text

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_settings_rows() -> list[list[str]]:
    """The cells of the table under "## Settings", header and separator left out."""
    section = README.read_text(encoding="utf-8").split("\n## Settings\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]


def declared_rows() -> list[list[str]]:
    rows = []
    for name, spec in SPECS.items():
        default = default_text(name)
        if spec.kind == "extensions":
            default = f"`{default}`"
        if spec.unit:
            default += f" {spec.unit}"
        rows.append([f"`{name}`", default, range_text(name), spec.help])
    return rows


def test_the_settings_table_matches_the_declarations() -> None:
    rows = readme_settings_rows()
    expected = declared_rows()
    assert [r[0] for r in rows] == [r[0] for r in expected], "names differ"
    assert [r[:2] for r in rows] == [r[:2] for r in expected], "defaults differ"
    table = "\n".join("| " + " | ".join(r) + " |" for r in expected)
    assert rows == expected, f"README.md's settings table should read:\n{table}"
