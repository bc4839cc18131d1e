"""Summary tables never cut ids: other columns go first, and the caption says which."""

from rich.console import Console

from forager.tables import Col, fitted

LONG_ID = "a-repository-with-a-long-name-0123456789"
TAG = "forager/a-repository-with-a-long-name:0123456789abcdef"
COLS = [Col("id", is_id=True), Col("status", keep=9), Col("tag", is_id=True), Col("passed", keep=8),
        Col("failed", keep=7), Col("flaky", keep=3), Col("suite s", keep=1)]
ROWS = [["more-itertools", "ok", "forager/more-itertools:0123456789ab", "884", "0", "0", "22.9"],
        ["tiny", "rejected", "forager/tiny:1", "1", "0", "0", "0.1"]]


def _render(width: int, rows=ROWS) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))
    console.print(fitted(console, "images", COLS, rows))
    return console.export_text()


def test_ids_are_whole_in_an_80_column_terminal():
    text = _render(80)
    assert "more-itertools" in text and "forager/more-itertools:0123456789ab" in text
    assert "…" not in text and "status" in text and "passed" in text


def test_narrow_terminal_drops_the_least_important_columns_first():
    text = _render(70)
    assert "forager/more-itertools:0123456789ab" in text and "…" not in text
    caption = text.split("left out for width:")[1]
    assert "suite s" in caption and "flaky" in caption and "passed" in caption
    assert "status" in text.split("left out")[0]  # kept longest after the ids


def test_wide_terminal_shows_every_column():
    text = _render(200)
    assert all(c.name in text for c in COLS) and "left out" not in text


def test_ids_too_long_for_one_line_become_records_not_cut():
    rows = [[LONG_ID, "ok", TAG, "884", "0", "0", "22.9"]]
    text = _render(80, rows)
    assert LONG_ID in text and TAG in text and "…" not in text
    assert "suite s: 22.9" in text
