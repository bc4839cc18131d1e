"""Stage 3: episodes in parallel, graded, written as one JSONL line each."""
