"""Explicit Arrow schemas of the dataset rows, derived from their pydantic models."""

from __future__ import annotations

import typing

import pyarrow as pa
from pydantic import BaseModel

from forager.records.dataset import ROW_MODELS

_SCALARS = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}


def _type(annotation) -> pa.DataType:
    if typing.get_origin(annotation) is list:
        return pa.list_(_type(typing.get_args(annotation)[0]))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pa.struct([pa.field(info.alias or name, _type(info.annotation), nullable=False)
                          for name, info in annotation.model_fields.items()])
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    raise TypeError(f"no Arrow type for {annotation!r}")


def row_schema(fmt: str) -> pa.Schema:
    model = ROW_MODELS[fmt]
    return pa.schema([pa.field(info.alias or name, _type(info.annotation), nullable=False)
                      for name, info in model.model_fields.items()])
