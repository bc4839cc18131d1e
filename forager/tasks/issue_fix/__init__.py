"""issue-fix tasks: real fixes from a repository's history (or GitHub), split into tests and code."""

from forager.tasks.issue_fix.start_state import start_state_script

__all__ = ["start_state_script"]
