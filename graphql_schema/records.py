"""Read-only records: what the loaders hand to the object types instead of ORM instances.

A query's answer only reads the columns of what it loads, so the loaders select the columns
(`columns(model)`) and keep each row as a record of its model (`records(model, rows)`):
the column values and the model's plain properties (e.g. `Showtime.seats_left`), nothing
else. Building a record costs a fraction of an ORM instance (no identity map, no
instrumented attributes, no state to clean up), which matters for pages of a hundred
products each. Mutations still hand ORM instances to the same object types: both have the
same attributes, and `model_of` names the model of either.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import inspect


class Record:
    """A loaded row of `__model__`: its columns as attributes, read-only."""

    __model__: type
    __keys__: tuple[str, ...]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.__dict__.get('id')}>"


@functools.cache
def record_class(model: type) -> type[Record]:
    """The record class of `model`: its column attributes and plain properties."""
    keys = tuple(attr.key for attr in inspect(model).column_attrs)
    properties = {
        name: value
        for klass in reversed(model.__mro__)
        for name, value in vars(klass).items()
        if isinstance(value, property)
    }
    return type(
        f"{model.__name__}Record",
        (Record,),
        {**properties, "__model__": model, "__keys__": keys, "__module__": __name__},
    )


def columns(model: type) -> list[Any]:
    """The columns to select for `records(model, …)`, in its record's order."""
    return [getattr(model, key) for key in record_class(model).__keys__]


def records(model: type, rows: Iterable[Sequence[Any]]) -> list[Any]:
    """Records of `model` from rows of `columns(model)`."""
    cls = record_class(model)
    keys = cls.__keys__
    new = object.__new__
    out = []
    for row in rows:
        record = new(cls)
        record.__dict__.update(zip(keys, row, strict=True))
        out.append(record)
    return out


def model_of(obj: Any) -> type:
    """The model of a record or of an ORM instance."""
    return getattr(type(obj), "__model__", type(obj))
