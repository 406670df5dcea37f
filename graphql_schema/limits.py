"""Limits checked before execution (issue 6): depth, aliases, page sizes and cost.

- Depth ≤ 10 fields (introspection subtrees have their own bound: ≤ 3 nested lists of the
  introspection schema, the nesting of GraphiQL's own query, and ≤ 15 fields deep).
- ≤ 100 aliases per document.
- Every connection needs `first`, 1 to 100 (BAD_USER_INPUT otherwise).
- Cost ≤ 50,000: every field costs 1, multiplied by the `first` of each connection above it;
  `films(first: 50) { edges { node { products(first: 20) { nodes { name } } } } }` costs
  1 + 50 + 50 + 50 + 50·20 + 50·20 = 2151. The cost is reported in `extensions.cost`.

`static_errors` does not depend on variables and is cached with the parsed document;
`query_cost` runs per request because `first` may come from a variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_interface_type,
    is_object_type,
)
from graphql.language import DocumentNode

from graphql_schema.errors import (
    BAD_USER_INPUT,
    QUERY_TOO_COSTLY,
    QUERY_TOO_DEEP,
    TOO_MANY_ALIASES,
)

MAX_DEPTH = 10
MAX_COST = 50_000
MAX_ALIASES = 100
MAX_PAGE = 100
MAX_INTROSPECTION_DEPTH = 15
MAX_INTROSPECTION_LISTS = 3
INTROSPECTION_LISTS = frozenset(
    {"types", "fields", "args", "inputFields", "interfaces", "possibleTypes", "enumValues",
     "directives"}
)  # fmt: skip


def _error(message: str, node: Any, code: str, **extra: Any) -> GraphQLError:
    return GraphQLError(message, nodes=node, extensions={"code": code, **extra})


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any] | None = None  # None: static checks only
    cost: int = 0
    aliases: int = 0
    errors: list[GraphQLError] = field(default_factory=list)
    _reported: set[str] = field(default_factory=set)

    def report(self, key: str, error: GraphQLError) -> None:
        if key not in self._reported:
            self._reported.add(key)
            self.errors.append(error)

    def page_size(self, node: FieldNode) -> int:
        """The `first` of a connection field, checking it; MAX_PAGE when unknown."""
        arg = next((a for a in node.arguments or () if a.name.value == "first"), None)
        where = f"`{node.name.value}`"
        if arg is None:
            self.report(
                f"first:{id(node)}",
                _error(f"{where} needs `first` (1 to {MAX_PAGE}).", node, BAD_USER_INPUT),
            )
            return MAX_PAGE
        value: Any = None
        if isinstance(arg.value, IntValueNode):
            value = int(arg.value.value)
        elif isinstance(arg.value, VariableNode) and self.variables is not None:
            value = self.variables.get(arg.value.name.value)
        if isinstance(value, int) and not isinstance(value, bool):
            if not 1 <= value <= MAX_PAGE:
                self.report(
                    f"first:{id(node)}",
                    _error(
                        f"{where}: `first` must be between 1 and {MAX_PAGE}, not {value}.",
                        node,
                        BAD_USER_INPUT,
                    ),
                )
                return MAX_PAGE
            return value
        return MAX_PAGE

    def selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        depth: int,
        multiplier: int,
        intro: tuple[int, int] | None,
        seen: frozenset[str],
    ) -> None:
        if selection_set is None:
            return
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                self.field(node, parent, depth, multiplier, intro, seen)
            elif isinstance(node, InlineFragmentNode):
                typed = (
                    self.schema.get_type(node.type_condition.name.value)
                    if node.type_condition
                    else parent
                )
                self.selections(node.selection_set, typed, depth, multiplier, intro, seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # unknown or cyclic: validation reports
                    continue
                typed = self.schema.get_type(fragment.type_condition.name.value)
                self.selections(
                    fragment.selection_set, typed, depth, multiplier, intro, seen | {name}
                )

    def field(
        self,
        node: FieldNode,
        parent: Any,
        depth: int,
        multiplier: int,
        intro: tuple[int, int] | None,
        seen: frozenset[str],
    ) -> None:
        name = node.name.value
        if node.alias is not None:
            self.aliases += 1
        self.cost += multiplier
        if name in ("__schema", "__type"):
            intro = (0, 0)
        if intro is not None:
            fields_deep, lists = intro[0] + 1, intro[1] + (name in INTROSPECTION_LISTS)
            if fields_deep > MAX_INTROSPECTION_DEPTH or lists > MAX_INTROSPECTION_LISTS:
                self.report(
                    "intro-depth",
                    _error("The introspection query nests too deep.", node, QUERY_TOO_DEEP),
                )
                return
            intro = (fields_deep, lists)
        else:
            depth += 1
            if depth > MAX_DEPTH:
                self.report(
                    "depth",
                    _error(
                        f"The query nests deeper than {MAX_DEPTH} fields.",
                        node,
                        QUERY_TOO_DEEP,
                        maxDepth=MAX_DEPTH,
                    ),
                )
                return
        definition = None
        if parent is not None and (is_object_type(parent) or is_interface_type(parent)):
            definition = parent.fields.get(name)
        if definition is None:
            if name == "__schema":
                definition_type: Any = self.schema.get_type("__Schema")
            elif name == "__type":
                definition_type = self.schema.get_type("__Type")
            else:
                return  # unknown field: the standard validation names it
        else:
            definition_type = get_named_type(definition.type)
            if "first" in definition.args:
                multiplier *= self.page_size(node)
        self.selections(node.selection_set, definition_type, depth, multiplier, intro, seen)


def _walk(
    schema: GraphQLSchema,
    document: DocumentNode,
    operations: list[OperationDefinitionNode],
    variables: Mapping[str, Any] | None,
) -> _Walk:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, variables)
    for operation in operations:
        root = schema.get_root_type(operation.operation)
        walk.selections(operation.selection_set, root, 0, 1, None, frozenset())
    return walk


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def static_errors(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """Depth, alias and literal page-size errors of every operation of a document."""
    walk = _walk(schema, document, _operations(document), None)
    if walk.aliases > MAX_ALIASES:
        walk.errors.append(
            GraphQLError(
                f"The query uses {walk.aliases} aliases; at most {MAX_ALIASES} are allowed.",
                extensions={"code": TOO_MANY_ALIASES, "maxAliases": MAX_ALIASES},
            )
        )
    return walk.errors


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> tuple[int, list[GraphQLError]]:
    """The cost of the operation that will run, and errors for page sizes from variables or a
    cost above MAX_COST."""
    operations = _operations(document)
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    elif len(operations) > 1:
        operations = []  # execution reports the missing operation name
    walk = _walk(schema, document, operations, variables)
    if walk.cost > MAX_COST:
        walk.errors.append(
            GraphQLError(
                f"The query costs {walk.cost}; at most {MAX_COST} is allowed. Ask for smaller "
                "pages (`first`) or fewer nested connections.",
                extensions={"code": QUERY_TOO_COSTLY, "cost": walk.cost, "maxCost": MAX_COST},
            )
        )
    return walk.cost, walk.errors
