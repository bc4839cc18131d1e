"""Stage 4: trajectories into training datasets (`forager export`), with `stats` and `view`.

reader -> select (filters, decontamination) -> dedupe -> splits -> redact -> length -> formats
-> writer; pipeline.py runs the steps and writes the manifest and the dataset card.
"""
