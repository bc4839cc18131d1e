"""The data contracts every stage reads and writes: recipe, manifest, task, trajectory, ledger.

Pydantic models only, with their file I/O. This package sits below every stage: it imports no
stage, and a stage never imports another stage to get a record type.
"""
