"""The trajectory record's schema as `datasets.Features`, derived from the pydantic model.

`datasets.load_dataset("json")` guesses each column's type from the first file it reads. An
empty list (`turns` of a file whose episodes all ended before a model turn, `restored_files`
of a file where grading restored nothing) has no element type to guess, and the next file's
values then cannot be cast to it. With these features every trajectory file loads, alone or
mixed with others, in any order:

    datasets.load_dataset("json", data_files=files, features=trajectory_features())

or simply `load_trajectories(files)`.
"""

from __future__ import annotations

import types
import typing
from enum import Enum

from pydantic import BaseModel

from forager.records.episode_settings import AgentLimits, Sampling
from forager.records.trajectory import Trajectory

# Free-form dicts in the record whose keys are known: they load as structs of these numbers.
DICT_KEYS = {
    "sampling": list(Sampling.model_fields),
    "limits": list(AgentLimits.model_fields),
}
_SCALARS = {str: "string", int: "int64", float: "float64", bool: "bool"}


def _feature(annotation, name: str):
    import datasets

    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _feature(inner, name)
    if origin is list:
        return datasets.List(_feature(typing.get_args(annotation)[0], name))
    if origin is dict:
        if name not in DICT_KEYS:
            raise TypeError(f"no known keys for the dict field '{name}'")
        value = _feature(typing.get_args(annotation)[1], name)
        return {k: value for k in DICT_KEYS[name]}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {f: _feature(info.annotation, f) for f, info in annotation.model_fields.items()}
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return datasets.Value("string")
    if annotation in _SCALARS:
        return datasets.Value(_SCALARS[annotation])
    raise TypeError(f"field '{name}': no datasets type for {annotation!r}")


def trajectory_features():
    """`datasets.Features` of one trajectory line (needs the `datasets` package)."""
    import datasets

    return datasets.Features({f: _feature(info.annotation, f) for f, info in Trajectory.model_fields.items()})


def load_trajectories(files, split: str = "train", **kwargs):
    """Trajectory JSONL files as one `datasets.Dataset`, whatever each file holds."""
    import datasets

    files = [str(f) for f in ([files] if isinstance(files, (str, bytes)) or hasattr(files, "__fspath__") else files)]
    return datasets.load_dataset("json", data_files=files, split=split, features=trajectory_features(), **kwargs)
