"""Querysets of a fixed shape, compiled to SQL once per process.

Django compiles a queryset to SQL each time it runs: 0.1–0.4 ms a query, most of what a page's
queries cost on SQLite. `Prepared(build)` compiles `build(*markers)` once and reruns that SQL with
each call's values in the markers' places; the rows come back as Django's own iteration makes them
(model instances with their select_related, values(), values_list()). It takes ints (of 64 bits) and strings
that the query hands to the database unchanged; with any other value, or a query whose SQL carries
a value otherwise (a slice, a LIKE pattern, an empty IN), the call runs the plain queryset. `build`
must make one query for all values: no branching on them."""

import copy
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections
from django.db.models import QuerySet

INTS = (-(2**63), 2**63 - 1)  # what a database's integers hold
# Two rounds of markers per type: positions whose parameter follows the marker are the value's.
MARKERS = {int: lambda n, round_: 2_000_000_000 + 1_000 * round_ + n, str: lambda n, round_: f"\x00marker{round_}.{n}"}


class Shape:
    """A query compiled with markers: its SQL, its parameters, and where each value goes."""

    def __init__(self, queryset: QuerySet, compiler, sql: str, params: tuple, slots: list[tuple[int, int]]):
        self.queryset, self.compiler, self.sql, self.params, self.slots = queryset, compiler, sql, params, slots

    def run(self, values: tuple) -> list:
        params = list(self.params)
        for position, value in self.slots:
            params[position] = values[value]
        queryset = self.queryset._chain()
        compiler = copy.copy(self.compiler)  # its select and row layout as the first compile left them
        compiler.connection = connections[queryset.db]  # this thread's
        compiler.as_sql = lambda *args, **kwargs: (self.sql, params)
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return list(queryset)


class Prepared:
    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self.shapes: dict[tuple[type, ...], Shape | None] = {}  # None: run as a plain queryset

    def __call__(self, *values) -> list:
        if any(type(value) is int and not INTS[0] <= value <= INTS[1] for value in values):
            return list(self.build(*values))  # the ORM answers "no such row" where a database overflows
        kinds = tuple(type(value) for value in values)
        if kinds not in self.shapes:
            self.shapes[kinds] = self.compile(kinds)
        shape = self.shapes[kinds]
        return shape.run(values) if shape else list(self.build(*values))

    def compile(self, kinds: tuple[type, ...]) -> Shape | None:
        """The shape for values of these types, or None when the SQL is not the same for all."""
        if not all(kind in MARKERS for kind in kinds):
            return None
        rounds = []
        for round_ in (0, 1):
            markers = [MARKERS[kind](n, round_) for n, kind in enumerate(kinds)]
            try:
                queryset = self.build(*markers)
                compiler = queryset.query.get_compiler(queryset.db)
                sql, params = compiler.as_sql()
            except (EmptyResultSet, ValueError, TypeError, ValidationError):
                return None  # no SQL, or a marker the field refuses (a string for a number): the plain queryset
            if any(str(marker) in sql for marker in markers):
                return None
            rounds.append((queryset, compiler, sql, tuple(params), markers))
        (queryset, compiler, sql, params, markers), (_, _, other_sql, other_params, other_markers) = rounds
        if sql != other_sql or len(params) != len(other_params):
            return None
        slots = []
        for position, (first, second) in enumerate(zip(params, other_params, strict=True)):
            if first == second:
                continue
            value = markers.index(first) if first in markers else None
            if value is None or other_markers[value] != second:
                return None
            slots.append((position, value))
        if {value for _, value in slots} != set(range(len(kinds))):
            return None  # a value the SQL does not carry as it is
        return Shape(queryset, compiler, sql, params, slots)
