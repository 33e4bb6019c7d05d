"""The `when` language of knowledge-base entries: parse with Lark, evaluate in three-valued logic.

A condition is never `eval`ed: grammar/condition.lark parses it and `evaluate` walks the tree
(kept as plain tuples). A fact the log did not show makes its comparison *unknown* (None) rather
than false, so an entry whose conditions cannot be checked is neither confirmed nor ruled out:
`and` is false if any part is false, true if all are true, unknown otherwise; `or` the mirror;
`not unknown` is unknown.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from logdoctor.parse.factnames import FACTS
from logdoctor.parse.grammars import lalr_parser

if TYPE_CHECKING:
    from packaging.version import Version

MAX_CONDITION_CHARS = 2000
MAX_DEPTH = 40
_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


@cache
def _parser():
    return lalr_parser("condition")


class ConditionError(ValueError):
    """A condition that does not parse or names an unknown fact; `column` is 1-based when known."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


# A condition compiled to nested tuples of plain values, so that a knowledge base's thousands of
# conditions are evaluated quickly and unpickle from the cache (kbcache.py) without Lark objects:
#   ("any_of" | "all_of", (node, node)) · ("negation", node) · ("defined" | "truthy", name)
#   ("comparison", name, operator, literal) · ("membership", name, negated, (literal, ...))
Node = tuple


@dataclass(frozen=True)
class Condition:
    """A parsed `when` condition and the facts it reads."""

    source: str
    tree: Node
    names: frozenset[str]

    def evaluate(self, facts: Mapping[str, object]) -> bool | None:
        """True, False, or None when the facts it needs are unknown."""
        return evaluate(self.tree, facts)


@cache
def compile_condition(source: str) -> Condition:
    """Parse `source`; raise ConditionError on a syntax error, an unknown fact or excessive size."""
    if len(source) > MAX_CONDITION_CHARS:
        raise ConditionError(f"condition longer than {MAX_CONDITION_CHARS} characters")
    try:
        tree = _parser().parse(source)
    except UnexpectedInput as error:
        raise ConditionError(f"condition does not parse at column {error.column}: "
                             f"{source[max(0, error.column - 10):error.column + 10]!r}", error.column) from None
    except LarkError as error:
        raise ConditionError(f"condition does not parse: {error}") from None
    if _depth(tree) > MAX_DEPTH:
        raise ConditionError(f"condition nested deeper than {MAX_DEPTH} levels")
    names = frozenset(str(tok) for tok in tree.scan_values(lambda v: isinstance(v, Token) and v.type == "NAME"))
    unknown = sorted(name for name in names if name not in FACTS)
    if unknown:
        from logdoctor.suggest import did_you_mean

        raise ConditionError(f"unknown fact {unknown[0]!r} in condition{did_you_mean(unknown[0], FACTS)} "
                             "(see logdoctor/parse/factnames.py)")
    return Condition(source, _compact(tree), names)


def _compact(node: Tree) -> Node:
    """The tuple form of a parse tree (see Node)."""
    kind = str(node.data)  # a plain str: Lark's Token compares and unpickles slowly
    if kind in ("any_of", "all_of"):
        return kind, tuple(_compact(child) for child in node.children)
    if kind == "negation":
        return kind, _compact(node.children[0])
    name = str(node.children[0])
    if kind in ("defined", "truthy"):
        return kind, name
    if kind == "comparison":
        return kind, name, str(node.children[1]), _literal(node.children[2])
    return kind, name, str(node.children[1]).startswith("not"), tuple(_literal(child) for child in node.children[2:])


def _depth(tree: Tree) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return deepest


def _literal(node: Tree) -> object:
    kind = node.data
    if kind == "string":
        return str(node.children[0])[1:-1].replace('\\"', '"')
    if kind == "number":
        return float(node.children[0])
    return kind == "true"


def _comparable(name: str, fact: object, literal: object) -> tuple[object, object] | None:
    """Bring a fact and a literal to one type, or None when they cannot be compared."""
    if FACTS.get(name, ("str",))[0] == "version":
        fact_version, literal_version = _version(str(fact)), _version(str(literal))
        return None if fact_version is None or literal_version is None else (fact_version, literal_version)
    if isinstance(literal, bool) or isinstance(fact, bool):
        return (fact, literal) if isinstance(fact, bool) and isinstance(literal, bool) else None
    if isinstance(literal, float):
        try:
            return float(fact), literal  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    return str(fact).lower(), str(literal).lower()


@lru_cache(maxsize=256)
def _version(text: str) -> Version | None:
    """A parsed version, once per distinct text: thousands of conditions compare the same few."""
    from packaging.version import InvalidVersion, Version  # only version facts need it

    try:
        return Version(text)
    except InvalidVersion:
        return None


def evaluate(node: Node, facts: Mapping[str, object], memo: dict | None = None) -> bool | None:
    """The verdict of a condition's tree (Condition.tree) on `facts`, in three-valued logic.

    `memo`, a dict kept across the conditions of one fact sheet, holds the verdicts of their
    comparisons: a knowledge base's thousands of conditions combine a few hundred distinct ones
    (`tensor_parallel_size > 1`, `dtype == "float16"`)."""
    kind = node[0]
    if kind in ("any_of", "all_of"):
        results = [evaluate(child, facts, memo) for child in node[1]]
        decisive = kind == "any_of"
        if decisive in results:
            return decisive
        return None if None in results else not decisive
    if kind == "negation":
        inner = evaluate(node[1], facts, memo)
        return None if inner is None else not inner
    if memo is None or _names_a_boolean(node):  # True == 1.0 as dict keys: such tests are not shared
        return _test(node, facts)
    verdict = memo.get(node, memo)  # the memo itself stands for "not there yet"
    if verdict is memo:
        verdict = memo[node] = _test(node, facts)
    return verdict  # type: ignore[return-value]


def _names_a_boolean(node: Node) -> bool:
    literals = node[3] if node[0] == "membership" else node[3:]
    return any(isinstance(literal, bool) for literal in literals)


def _test(node: Node, facts: Mapping[str, object]) -> bool | None:
    """The verdict of one comparison, membership or presence test."""
    kind, name = node[0], node[1]
    if kind == "defined":
        return facts.get(name) is not None
    fact = facts.get(name)
    if fact is None:
        return None
    if kind == "truthy":
        return bool(fact)
    if kind == "comparison":
        pair = _comparable(name, fact, node[3])
        if pair is None:
            return None
        try:
            return _COMPARE[node[2]](*pair)
        except TypeError:
            return None
    values = [_comparable(name, fact, literal) for literal in node[3]]
    found = any(pair is not None and pair[0] == pair[1] for pair in values)
    return found != node[2]
