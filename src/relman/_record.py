"""Frozen, keyword-only dataclasses whose methods are shared, not generated;
and fields whose value is computed when first read.

``@dataclass(frozen=True, kw_only=True)`` writes ``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__`` as source text
for each class and compiles it with ``exec``: some 2 ms a class, paid by every
command for the thirteen configuration classes before it does anything.
:func:`record` makes the same kind of class from functions written once here:
fields are declared as for dataclasses (``field(default=..., metadata=...)``,
``default_factory``, ``compare=False``, ``repr=False``), ``dataclasses.fields``,
``replace``, ``asdict`` and ``is_dataclass`` work on it, and its instances
behave as a frozen keyword-only dataclass's do: the same ``TypeError`` for a
missing or unknown argument, ``FrozenInstanceError`` on assignment, equality
and hash over the compared fields, the same ``repr``.

:func:`defer` leaves one field of an instance unset until it is read; the
first read computes it (once, under a lock shared by every record) and keeps
it. The configuration uses it for the values detected from the repository,
so that a command pays only for the detection of the values it reads.
"""

from __future__ import annotations

import dataclasses
import reprlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only type checkers read it (typing has it from Python 3.11)

    def dataclass_transform(**kwargs: Any) -> Any:
        return lambda f: f


__all__ = ["defer", "record"]

T = TypeVar("T")

_DEFERRED = "__deferred__"  # instance key: field name -> what computes it
_resolving = threading.RLock()


def _missing_message(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    if len(quoted) == 1:
        listed = quoted[0]
    elif len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    else:
        listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    plural = "s" if len(names) > 1 else ""
    return f"missing {len(names)} required keyword-only argument{plural}: {listed}"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = self.__record_compare__
    return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in self.__record_hash__))


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__record_repr__)
    return f"{self.__class__.__qualname__}({shown})"


def _setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _getattr(self: Any, name: str) -> Any:
    # reached only when the instance has no such attribute: a deferred field
    deferred = self.__dict__.get(_DEFERRED)
    if deferred is not None and name in deferred:
        with _resolving:
            compute = deferred.get(name)
            if compute is not None:  # not computed meanwhile by another thread
                object.__setattr__(self, name, compute())
                del deferred[name]
        return self.__dict__[name]
    raise AttributeError(f"{self.__class__.__name__!r} object has no attribute {name!r}")


_METHODS = {
    "__eq__": _eq,
    "__hash__": _hash,
    "__repr__": _repr,
    "__setattr__": _setattr,
    "__delattr__": _delattr,
    "__getattr__": _getattr,
}


def _make_init(cls: type, plan: tuple[tuple[str, Any, Any], ...]) -> Callable[..., None]:
    missing_value = dataclasses.MISSING
    post_init = getattr(cls, "__post_init__", None)

    def __init__(self: Any, **values: Any) -> None:
        put = object.__setattr__
        missing = []
        for name, default, factory in plan:
            if name in values:
                put(self, name, values.pop(name))
            elif default is not missing_value:
                put(self, name, default)
            elif factory is not missing_value:
                put(self, name, factory())
            else:
                missing.append(name)
        if values:
            raise TypeError(
                f"{cls.__qualname__}.__init__() got an unexpected keyword argument "
                f"{next(iter(values))!r}"
            )
        if missing:
            raise TypeError(f"{cls.__qualname__}.__init__() {_missing_message(missing)}")
        if post_init is not None:
            post_init(self)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


@dataclass_transform(
    kw_only_default=True,
    frozen_default=True,
    field_specifiers=(dataclasses.field, dataclasses.Field),
)
def record(cls: type[T]) -> type[T]:
    """A frozen, keyword-only dataclass made without generated code (see the module)."""
    made: type[T] = dataclasses.dataclass(init=False, repr=False, eq=False, kw_only=True)(cls)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    for f in fields:
        # defaults live in the fields; a class attribute would hide a deferred value
        if f.name in made.__dict__:
            delattr(made, f.name)
    plan = tuple((f.name, f.default, f.default_factory) for f in fields if f.init)
    setattr(made, "__init__", _make_init(made, plan))  # noqa: B010
    for name, method in _METHODS.items():
        setattr(made, name, method)
    made.__record_compare__ = tuple(f.name for f in fields if f.compare)  # type: ignore[attr-defined]
    made.__record_hash__ = tuple(  # type: ignore[attr-defined]
        f.name for f in fields if (f.compare if f.hash is None else f.hash)
    )
    made.__record_repr__ = tuple(f.name for f in fields if f.repr)  # type: ignore[attr-defined]
    return made


def defer(obj: object, name: str, compute: Callable[[], Any]) -> None:
    """Leave field ``name`` of the record ``obj`` unset until it is first read;
    ``compute()`` then gives its value, which is kept. Until then the field
    holds no value; if ``compute`` raises, the next read tries again."""
    state = obj.__dict__
    state.pop(name, None)
    state.setdefault(_DEFERRED, {})[name] = compute
