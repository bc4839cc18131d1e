"""The summary table printed at the end of an issue-fix run."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from forager.progress import console
from forager.tables import Col, fitted
from forager.tasks.issue_fix.summary import ImageStats, Summary

MAX_REASONS = 20


def print_summary(s: Summary, out: Path) -> None:
    cols = [Col("image", is_id=True), Col("candidates", keep=5), Col("validated", keep=4), Col("kept", keep=6),
            Col("env reused", keep=2), Col("env reinstalled", keep=1)]
    rows, total = [], ImageStats()
    for image, st in sorted(s.images.items()):
        rows.append([image, str(st.candidates), str(st.validated), str(st.kept), str(st.reused), str(st.reinstalled)])
        for f in ("candidates", "validated", "kept", "reused", "reinstalled"):
            setattr(total, f, getattr(total, f) + getattr(st, f))
    rows.append(["total", str(total.candidates), str(total.validated), str(total.kept),
                 str(total.reused), str(total.reinstalled)])
    table = fitted(console, "issue-fix", cols, rows)
    console.print(table)
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(s.outcomes.items())) or "nothing checked"
    console.print(f"outcomes: {outcomes}")
    for image, commit, outcome, reason in s.rejected[:MAX_REASONS]:
        console.print(f"  {escape(image)} {commit}: {outcome}: {escape(reason)}", highlight=False)
    if len(s.rejected) > MAX_REASONS:
        console.print(f"  ... and {len(s.rejected) - MAX_REASONS} more (reasons in {out.name}.ledger)")
    for image, why in s.failed_images.items():
        console.print(f"[red]{escape(image)}: failed[/red]: {escape(why)}", markup=True)
    console.print(f"tasks: {out}")
