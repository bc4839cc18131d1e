"""Stage 2: tasks seeded into images (mutate-fix) or taken from history (issue-fix)."""
