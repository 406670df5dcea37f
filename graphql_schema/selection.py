"""What a field's selection asks for, read before its resolvers run: the names selected
below it (which related objects to prefetch) and the nested connections below the nodes of
a page (`PagePlan`: which pages to load for every node at once). Fragments are followed and
@skip/@include obeyed; arguments are read with graphql-core's public `get_argument_values`.
A plan is only a forecast: a field whose page was not loaded ahead loads it itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_argument_values,
    get_directive_values,
    get_named_type,
)

from graphql_schema.cursors import page_window


def selected_names(info: Any) -> set[str]:
    """Every field name selected below the current field (fragments followed): enough to
    decide which related objects to prefetch for a page."""
    return _names_below(info.field_nodes, info.fragments)


def _names_below(field_nodes: Sequence[FieldNode], fragments: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    seen: set[str] = set()
    stack = [node.selection_set for node in field_nodes if node.selection_set]
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
                if selection.selection_set:
                    stack.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    stack.append(fragment.selection_set)
    return names


@dataclass(frozen=True)
class PagePlan:
    """A nested connection selected below the nodes of a page: loaded for every node of
    the page at once (`Loaders.prefetch_pages`), so that its field resolves at once."""

    relation: str  # a key of graphql_schema.load_queries.RELATIONS
    offset: int
    limit: int
    wanted: frozenset[str]  # the field names selected below it
    count: bool  # whether `totalCount` is selected
    below: tuple[PagePlan, ...]  # the nested connections below its own nodes


def page_plans(info: Any) -> tuple[PagePlan, ...]:
    """The nested connections selected below the nodes of the current connection field
    (as `_page` fields of graphql_schema.types.base declare them)."""
    return _plans_below(info.return_type, info.field_nodes, info.fragments, info.variable_values)


def _plans_below(
    connection_type: Any,
    field_nodes: Sequence[FieldNode],
    fragments: dict[str, Any],
    variables: dict[str, Any],
) -> tuple[PagePlan, ...]:
    connection = get_named_type(connection_type)
    if not isinstance(connection, GraphQLObjectType) or "nodes" not in connection.fields:
        return ()
    node_type = get_named_type(connection.fields["nodes"].type)
    if not isinstance(node_type, GraphQLObjectType):
        return ()
    selections: list[SelectionSetNode] = []
    for field in _fields_of([n.selection_set for n in field_nodes], fragments, variables):
        if field.name.value == "nodes" and field.selection_set:
            selections.append(field.selection_set)
        elif field.name.value == "edges" and field.selection_set:
            for edge_field in _fields_of([field.selection_set], fragments, variables):
                if edge_field.name.value == "node" and edge_field.selection_set:
                    selections.append(edge_field.selection_set)
    merged: dict[str, list[FieldNode]] = {}
    for field in _fields_of(selections, fragments, variables):
        merged.setdefault((field.alias or field.name).value, []).append(field)
    plans = []
    for nodes in merged.values():
        definition = node_type.fields.get(nodes[0].name.value)
        relation = getattr(definition.resolve, "page_relation", None) if definition else None
        if relation is None:
            continue
        try:
            args = get_argument_values(definition, nodes[0], variables)
            offset, limit = page_window(args.get("first"), args.get("after"))
        except GraphQLError:  # the field reports it when it resolves
            continue
        direct = {
            f.name.value for f in _fields_of([n.selection_set for n in nodes], fragments, variables)
        }
        plans.append(
            PagePlan(
                relation,
                offset,
                limit,
                frozenset(_names_below(nodes, fragments)),
                "totalCount" in direct,
                _plans_below(definition.type, nodes, fragments, variables),
            )
        )
    return tuple(plans)


def _fields_of(
    selection_sets: Sequence[SelectionSetNode | None],
    fragments: dict[str, Any],
    variables: dict[str, Any],
) -> list[FieldNode]:
    """The fields of selection sets, fragments followed, without those @skip/@include leave
    out."""
    found: list[FieldNode] = []
    stack = [s for s in selection_sets if s is not None]
    seen: set[str] = set()
    while stack:
        for selection in stack.pop().selections:
            if not _included(selection, variables):
                continue
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    stack.append(fragment.selection_set)
    return found


def _included(node: Any, variables: dict[str, Any]) -> bool:
    if not node.directives:
        return True
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (skip and skip["if"]) and not (include and not include["if"])
