"""Limits checked before execution (issue 6): depth, aliases, page sizes and cost.

- Depth ≤ 10 fields (introspection subtrees have their own bound: ≤ 3 nested lists of the
  introspection schema, the nesting of GraphiQL's own query, and ≤ 15 fields deep).
- ≤ 100 aliases per document.
- ≤ 50 fields of one response name at one place (fragments included): graphql-core's
  OverlappingFieldsCanBeMerged compares those fields pairwise, so 400 `viewer { kind }` in a
  5 KB document would cost over a second of validation.
- Every connection needs `first`, 1 to 100 (BAD_USER_INPUT otherwise).
- Cost ≤ 50,000: every field costs 1, multiplied by the `first` of each connection above it;
  `films(first: 50) { edges { node { products(first: 20) { nodes { name } } } } }` costs
  1 + 50 + 50 + 50 + 50·20 + 50·20 = 2151. The cost is reported in `extensions.cost`.

`static_errors` does not depend on variables and is cached with the parsed document;
`query_cost` runs per request because `first` may come from a variable.

Both are linear in the document (SPEC §11): a fragment's figures are computed once per depth
it is spread at, not once per path (fragments that each spread the next one twice would
otherwise mean 2^n paths), and the walk stops at the first limit exceeded, so a refused
document reports a cost of *at least* the figure given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

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

from graphql_schema.cursors import MAX_PAGE  # the one bound of `first` (SPEC §7)
from graphql_schema.errors import (
    BAD_USER_INPUT,
    QUERY_TOO_COSTLY,
    QUERY_TOO_DEEP,
    TOO_MANY_ALIASES,
    TOO_MANY_REPEATS,
)

MAX_DEPTH = 10
MAX_COST = 50_000
MAX_ALIASES = 100
MAX_FIELD_REPEATS = 50
MAX_OVERLAP_WORK = 50_000  # Σ (subtree sizes of one name at one place)², see _repeat_errors
MAX_INTROSPECTION_DEPTH = 15
MAX_INTROSPECTION_LISTS = 3
INTROSPECTION_LISTS = frozenset(
    {"types", "fields", "args", "inputFields", "interfaces", "possibleTypes", "enumValues",
     "directives"}
)  # fmt: skip


def _error(message: str, node: Any, code: str, **extra: Any) -> GraphQLError:
    return GraphQLError(message, nodes=node, extensions={"code": code, **extra})


class _Stop(Exception):
    """A limit is exceeded: the walk ends at once (its error is already recorded)."""


@dataclass
class _Walk:
    """One pass over a document. Costs and alias counts are computed per selection set at a
    multiplier of 1 (a parent multiplies them by its page size), so a fragment's figures do
    not depend on where it is spread, only on the depth it is spread at; they are remembered
    per (fragment, depth, introspection state), which makes the walk linear in the document
    however often fragments spread each other. The walk stops at the first limit exceeded.
    """

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any] | None = None  # None: static checks only
    errors: list[GraphQLError] = field(default_factory=list)
    _reported: set[str] = field(default_factory=set)
    _memo: dict[tuple[str, int, tuple[int, int] | None], tuple[int, int]] = field(
        default_factory=dict
    )
    _active: set[str] = field(default_factory=set)

    @property
    def static(self) -> bool:
        return self.variables is None

    def report(self, key: str, error: GraphQLError) -> None:
        if key not in self._reported:
            self._reported.add(key)
            self.errors.append(error)

    def stop(self, error: GraphQLError) -> NoReturn:
        self.errors.append(error)
        raise _Stop

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

    def add(self, cost: int, aliases: int) -> tuple[int, int]:
        """Check running figures. Every multiplier is at least 1, so a part above a limit
        means the whole is above it: stop there."""
        if cost > MAX_COST:
            if not self.static:
                self.stop(
                    GraphQLError(
                        f"The query costs at least {cost}; at most {MAX_COST} is allowed. Ask "
                        "for smaller pages (`first`) or fewer nested connections.",
                        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "maxCost": MAX_COST},
                    )
                )
            cost = MAX_COST + 1  # static pass: page sizes from variables are not known yet
        if aliases > MAX_ALIASES:
            if self.static:
                self.stop(
                    GraphQLError(
                        f"The query uses more than {MAX_ALIASES} aliases; at most "
                        f"{MAX_ALIASES} are allowed.",
                        extensions={"code": TOO_MANY_ALIASES, "maxAliases": MAX_ALIASES},
                    )
                )
            aliases = MAX_ALIASES + 1
        return cost, aliases

    def selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        depth: int,
        intro: tuple[int, int] | None,
    ) -> tuple[int, int]:
        """(cost at a multiplier of 1, aliases) of a selection set."""
        cost = aliases = 0
        if selection_set is None:
            return cost, aliases
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                part = self.field(node, parent, depth, intro)
            elif isinstance(node, InlineFragmentNode):
                typed = (
                    self.schema.get_type(node.type_condition.name.value)
                    if node.type_condition
                    else parent
                )
                part = self.selections(node.selection_set, typed, depth, intro)
            elif isinstance(node, FragmentSpreadNode):
                part = self.spread(node.name.value, depth, intro)
            else:  # pragma: no cover - the grammar has no other selection
                continue
            cost, aliases = self.add(cost + part[0], aliases + part[1])
        return cost, aliases

    def spread(self, name: str, depth: int, intro: tuple[int, int] | None) -> tuple[int, int]:
        fragment = self.fragments.get(name)
        if fragment is None or name in self._active:  # unknown or cyclic: validation says so
            return 0, 0
        # below an introspection field the depth no longer counts, only `intro`
        key = (name, depth if intro is None else -1, intro)
        found = self._memo.get(key)
        if found is None:
            typed = self.schema.get_type(fragment.type_condition.name.value)
            self._active.add(name)
            try:
                found = self.selections(fragment.selection_set, typed, depth, intro)
            finally:
                self._active.discard(name)
            self._memo[key] = found
        return found

    def field(
        self,
        node: FieldNode,
        parent: Any,
        depth: int,
        intro: tuple[int, int] | None,
    ) -> tuple[int, int]:
        name = node.name.value
        aliases = 0 if node.alias is None else 1
        if name in ("__schema", "__type"):
            intro = (0, 0)
        if intro is not None:
            fields_deep, lists = intro[0] + 1, intro[1] + (name in INTROSPECTION_LISTS)
            if fields_deep > MAX_INTROSPECTION_DEPTH or lists > MAX_INTROSPECTION_LISTS:
                self.stop(_error("The introspection query nests too deep.", node, QUERY_TOO_DEEP))
            intro = (fields_deep, lists)
        else:
            depth += 1
            if depth > MAX_DEPTH:
                self.stop(
                    _error(
                        f"The query nests deeper than {MAX_DEPTH} fields.",
                        node,
                        QUERY_TOO_DEEP,
                        maxDepth=MAX_DEPTH,
                    )
                )
        definition = None
        if parent is not None and (is_object_type(parent) or is_interface_type(parent)):
            definition = parent.fields.get(name)
        multiplier = 1
        if definition is None:
            if name == "__schema":
                definition_type: Any = self.schema.get_type("__Schema")
            elif name == "__type":
                definition_type = self.schema.get_type("__Type")
            else:
                return 1, aliases  # unknown field: the standard validation names it
        else:
            definition_type = get_named_type(definition.type)
            if "first" in definition.args:
                multiplier = self.page_size(node)
        cost, below = self.selections(node.selection_set, definition_type, depth, intro)
        return self.add(1 + multiplier * cost, aliases + below)


@dataclass
class _Result:
    cost: int = 0
    aliases: int = 0
    errors: list[GraphQLError] = field(default_factory=list)


def _walk(
    schema: GraphQLSchema,
    document: DocumentNode,
    operations: list[OperationDefinitionNode],
    variables: Mapping[str, Any] | None,
) -> _Result:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, variables)
    result = _Result(errors=walk.errors)
    try:
        for operation in operations:
            root = schema.get_root_type(operation.operation)
            cost, aliases = walk.selections(operation.selection_set, root, 0, None)
            result.cost, result.aliases = walk.add(result.cost + cost, result.aliases + aliases)
    except _Stop:
        stopped = walk.errors[-1].extensions or {}
        result.cost = max(result.cost, stopped.get("cost", 0))
    return result


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def static_errors(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """Depth, alias, literal page-size and repeated-field errors of every operation of a
    document; checked before graphql-core's own validation, whose cost they bound."""
    return _walk(schema, document, _operations(document), None).errors or _repeat_errors(document)


def _repeat_errors(document: DocumentNode) -> list[GraphQLError]:
    """Bound the work of graphql-core's OverlappingFieldsCanBeMerged, which compares the
    fields of one response name at one place pairwise, and their sub-fields pairwise again:
    at most MAX_FIELD_REPEATS fields of one name at one place, and at most MAX_OVERLAP_WORK
    for the sum, over places and names asked for more than once, of the square of those
    fields' subtree sizes (an upper bound of the comparisons). Linear: each selection set and
    each fragment is counted once; the counters hold no more names than there are aliases
    (≤ MAX_ALIASES, checked first) and schema fields; the walk stops at the first excess."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, _Place] = {}
    work = 0

    def fragment_place(name: str) -> _Place:
        if name not in memo:
            memo[name] = _Place()  # a cycle or unknown fragment: validation reports it
            if name in fragments:
                memo[name] = place_of(fragments[name].selection_set)
        return memo[name]

    def place_of(selection_set: SelectionSetNode) -> _Place:
        nonlocal work
        place = _Place()
        spreads: set[str] = set()  # a fragment spread twice at one place is merged once
        pending = [selection_set]
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode):
                    below = place_of(selection.selection_set) if selection.selection_set else None
                    place.add(
                        (selection.alias or selection.name).value,
                        1,
                        1 + (below.size if below else 0),
                    )
                elif isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spreads.add(selection.name.value)
        for name in spreads:
            spread = fragment_place(name)
            for response_name, count in spread.counts.items():
                place.add(response_name, count, spread.sizes[response_name])
        for response_name, count in place.counts.items():
            if count > MAX_FIELD_REPEATS:
                raise _Repeated(
                    response_name, selection_set, f"more than {MAX_FIELD_REPEATS} times"
                )
            if count > 1:
                work += place.sizes[response_name] ** 2
                if work > MAX_OVERLAP_WORK:
                    raise _Repeated(response_name, selection_set, "too often with sub-fields")
        return place

    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                place_of(definition.selection_set)
            elif isinstance(definition, FragmentDefinitionNode):
                fragment_place(definition.name.value)
    except _Repeated as exc:
        message = (
            f"'{exc.response_name}' is asked for {exc.how} at one place (fragments included): "
            "ask for each field once."
        )
        return [_error(message, exc.node, TOO_MANY_REPEATS, limit=MAX_FIELD_REPEATS)]
    return []


@dataclass
class _Place:
    """The fields at one place: how many of each response name, and their subtree sizes."""

    counts: Counter[str] = field(default_factory=Counter)
    sizes: Counter[str] = field(default_factory=Counter)
    size: int = 0

    def add(self, response_name: str, count: int, size: int) -> None:
        self.counts[response_name] += count
        self.sizes[response_name] += size
        self.size += size


class _Repeated(Exception):
    def __init__(self, response_name: str, node: SelectionSetNode, how: str) -> None:
        self.response_name, self.node, self.how = response_name, node, how


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
    return walk.cost, walk.errors
