"""Frozen dataclasses whose methods are shared, not generated; and fields whose
value is computed when first read.

``@dataclass(frozen=True, kw_only=True)`` writes ``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__`` as source text
for each class and compiles it with ``exec``: some 2 ms a class, paid by every
command for the thirteen configuration classes before it does anything.
:func:`record` makes the same kind of class from functions written once here
(``@record(kw_only=False)`` for ``@dataclass(frozen=True)``, fields taken in
order too); their ``__init__`` is slower (a few microseconds), so a class made
thousands of times a run (commits, tags) stays a generated dataclass. Records:
fields are declared as for dataclasses (``field(default=..., metadata=...)``,
``default_factory``, ``compare=False``, ``repr=False``), ``dataclasses.fields``,
``replace``, ``asdict`` and ``is_dataclass`` work on it, and its instances
behave as a frozen dataclass's do: the same ``TypeError`` for a missing,
unknown or extra argument, ``FrozenInstanceError`` on assignment, equality
and hash over the compared fields, the same ``repr``.

:func:`defer` leaves one field of an instance unset until it is read; the
first read computes it (once, under a lock of that field's own) and keeps
it. The configuration uses it for the values detected from the repository,
so that a command pays only for the detection of the values it reads.
"""

from __future__ import annotations

import dataclasses
import reprlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only type checkers read it (typing has it from Python 3.11)

    def dataclass_transform(**kwargs: Any) -> Any:
        return lambda f: f


__all__ = ["defer", "record"]

T = TypeVar("T")

_DEFERRED = "__deferred__"  # instance key: field name -> (what computes it, its lock)


def _missing_message(names: list[str], kind: str) -> str:
    quoted = [repr(n) for n in names]
    if len(quoted) == 1:
        listed = quoted[0]
    elif len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    else:
        listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    plural = "s" if len(names) > 1 else ""
    return f"missing {len(names)} required {kind} argument{plural}: {listed}"


def _too_many_message(required: int, allowed: int, given: int, keywords: int) -> str:
    """Python's own words for too many positional arguments (``self`` counted)."""
    if required == allowed:
        takes, plural = f"{allowed + 1}", "" if allowed == 0 else "s"
    else:
        takes, plural = f"from {required + 1} to {allowed + 1}", "s"
    extra = ""
    if keywords:
        extra = (
            f" positional argument{'s' if given + 1 != 1 else ''} "
            f"(and {keywords} keyword-only argument{'s' if keywords != 1 else ''})"
        )
    return f"takes {takes} positional argument{plural} but {given + 1}{extra} were given"


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
    entry = deferred.get(name) if deferred is not None else None
    if entry is not None:
        compute, lock = entry
        with lock:  # one lock a field: computing one value never waits for another's
            if name in deferred:  # not computed meanwhile by another thread
                object.__setattr__(self, name, compute())
                del deferred[name]
        return self.__dict__[name]
    raise AttributeError(f"{self.__class__.__name__!r} object has no attribute {name!r}")


def _getstate(self: Any) -> dict[str, Any]:
    # a copy or a pickle holds every value: a deferred one is computed first
    deferred = self.__dict__.get(_DEFERRED)
    for name in list(deferred or ()):
        getattr(self, name)
    return {k: v for k, v in self.__dict__.items() if k != _DEFERRED}


_METHODS = {
    "__eq__": _eq,
    "__hash__": _hash,
    "__repr__": _repr,
    "__setattr__": _setattr,
    "__delattr__": _delattr,
    "__getattr__": _getattr,
    "__getstate__": _getstate,
}


def _make_init(
    cls: type, plan: tuple[tuple[str, Any, Any], ...], kw_only: bool
) -> Callable[..., None]:
    missing_value = dataclasses.MISSING
    post_init = getattr(cls, "__post_init__", None)
    where = f"{cls.__qualname__}.__init__()"
    positional = 0 if kw_only else len(plan)
    required = 0 if kw_only else sum(d is missing_value and f is missing_value for _, d, f in plan)
    kind = "keyword-only" if kw_only else "positional"
    names = [name for name, _, _ in plan]
    order = {name: i for i, name in enumerate(names)}  # a field's place among the parameters

    def __init__(self: Any, *args: Any, **values: Any) -> None:
        # checked in the order Python checks a generated __init__'s arguments
        filled = min(len(args), positional)  # the parameters the positional arguments fill
        for name in values:
            at = order.get(name)
            if at is None:
                raise TypeError(f"{where} got an unexpected keyword argument {name!r}")
            if at < filled:
                raise TypeError(f"{where} got multiple values for argument {name!r}")
        if args:
            if len(args) > positional:
                keywords = len(values) if kw_only else 0
                raise TypeError(
                    f"{where} {_too_many_message(required, positional, len(args), keywords)}"
                )
            values.update(zip(names, args, strict=False))
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
        if missing:
            raise TypeError(f"{where} {_missing_message(missing, kind)}")
        if post_init is not None:
            post_init(self)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, kw_only: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(
    kw_only_default=True,
    frozen_default=True,
    field_specifiers=(dataclasses.field, dataclasses.Field),
)
def record(cls: type[T] | None = None, /, *, kw_only: bool = True) -> Any:
    """A frozen dataclass made without generated code (see the module): keyword-only,
    or with ``kw_only=False`` taking its fields in order as well."""
    if cls is None:
        return lambda c: _make(c, kw_only)
    return _make(cls, kw_only)


def _make(cls: type[T], kw_only: bool) -> type[T]:
    if not cls.__doc__:
        # what dataclass writes for a class without a docstring (and no __init__ of
        # its own yet), without asking inspect.signature, which compiles the tokenizer
        cls.__doc__ = f"{cls.__name__}()"
    made: type[T] = dataclasses.dataclass(init=False, repr=False, eq=False, kw_only=kw_only)(cls)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    for f in fields:
        # defaults live in the fields; a class attribute would hide a deferred value
        if f.name in made.__dict__:
            delattr(made, f.name)
    plan = tuple((f.name, f.default, f.default_factory) for f in fields if f.init)
    setattr(made, "__init__", _make_init(made, plan, kw_only))  # noqa: B010
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
    holds no value; if ``compute`` raises, the next read tries again. A copy or
    a pickle of ``obj`` computes the value first, and holds it."""
    state = obj.__dict__
    state.pop(name, None)
    state.setdefault(_DEFERRED, {})[name] = (compute, threading.Lock())
