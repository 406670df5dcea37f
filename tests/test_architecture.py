"""The floors of DESIGN §1 hold: imports go up only, no import hides inside a function, and
no shipped module grows past the size one reads in a sitting."""

from __future__ import annotations

from tests import architecture
from tests.architecture import Edge


def test_the_walk_sees_every_package_and_their_imports() -> None:
    packages = {edge.source for edge in architecture.edges()}
    # every floor above the kernel imports something below it
    assert packages >= {"catalog", "licensing", "orders", "reports", "graphql_schema", "tiein"}
    assert any(edge.target == "kernel" for edge in architecture.edges())


def test_an_edge_to_the_same_or_a_higher_floor_is_wrong() -> None:
    assert Edge("catalog", "orders", "x.py:1").goes_down_a_floor
    assert Edge("graphql_schema", "storefront", "x.py:1").goes_down_a_floor
    assert not Edge("orders", "kernel", "x.py:1").goes_down_a_floor


def test_no_import_goes_down_a_floor() -> None:
    wrong = [
        f"{e.source} -> {e.target} at {e.where}"
        for e in architecture.edges()
        if e.goes_down_a_floor
    ]
    assert wrong == []


def test_no_import_of_our_packages_inside_a_function() -> None:
    assert architecture.imports_inside_functions() == []


def test_no_shipped_module_is_over_400_lines() -> None:
    assert architecture.oversized_modules() == []
