"""Pebble's expression syntax on top of Jinja2's lexer, parser and code generator.

Jinja2 has no ``??``, ``???``, ``a ? b : c``, ``..`` ranges, ``contains``/``equals`` or
``null``, and its operator precedence differs from Pebble's. Here:

* the lexer knows the extra operators ``???``, ``??``, ``?`` and ``..``;
* the parser replaces Jinja's expression levels with Pebble's precedence-climbing grammar
  (``or`` 10, ``and`` 15, ``is``/``contains`` 20, comparisons 30, ``+ -`` 40, ``* / %`` 60,
  ``|`` 100, ``~`` 110, ``..``/``??``/``???`` 120; unary ``not``/``-`` 500, as in Pebble);
* Pebble constructs that need laziness or special semantics are compiled into calls to
  `PebbleEnvironment` helpers. Jinja forbids custom node classes, so the parser marks them
  as a `Call` on an `InternalName` that templates can never produce, and the code
  generator emits ``environment.<helper>(lambda: left, lambda: right)`` for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.lexer import TOKEN_OPERATOR, TOKEN_STRING, Lexer, _Rule, operator_re, operators
from jinja2.parser import Parser

from tercel.templating import limits

# -- lexer -------------------------------------------------------------------------------

#: Extra operators and the token types they become.
_EXTRA_OPERATORS = {"???": "undefcoalesce", "??": "coalesce", "?": "question", "..": "dotdot"}
_ALL_OPERATORS = sorted([*operators, *_EXTRA_OPERATORS], key=lambda op: -len(op))
_PEBBLE_OPERATOR_RE = re.compile("(" + "|".join(re.escape(op) for op in _ALL_OPERATORS) + ")")


class PebbleLexer(Lexer):
    """Jinja's lexer with Pebble's extra operators."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        for state, rules in self.rules.items():
            self.rules[state] = [
                _Rule(_PEBBLE_OPERATOR_RE, rule.tokens, rule.command)
                if rule.pattern is operator_re
                else rule
                for rule in rules
            ]

    def tokeniter(
        self, source: str, name: str | None, filename: str | None = None, state: str | None = None
    ) -> Iterator[tuple[int, str, str]]:
        """Tokens, with the extra operators turned into their own token types."""
        for lineno, token, value in super().tokeniter(source, name, filename, state):
            if token == TOKEN_OPERATOR and value in _EXTRA_OPERATORS:
                yield lineno, _EXTRA_OPERATORS[value], value
            elif token == TOKEN_STRING and value.startswith('"') and "#{" in value:
                yield from self._interpolation(lineno, value, name, filename)
            else:
                yield lineno, token, value

    def _interpolation(
        self, lineno: int, quoted: str, name: str | None, filename: str | None
    ) -> Iterator[tuple[int, str, str]]:
        """Pebble's ``"Hello #{name}"``: the string becomes ``("Hello " ~ (name) ~ "")``."""
        body = quoted[1:-1]
        yield lineno, TOKEN_OPERATOR, "("
        position = 0
        while True:
            start = body.find("#{", position)
            end = body.find("}", start + 2) if start >= 0 else -1
            if start < 0 or end < 0:
                yield lineno, TOKEN_STRING, '"' + body[position:] + '"'
                break
            yield lineno, TOKEN_STRING, '"' + body[position:start] + '"'
            yield lineno, TOKEN_OPERATOR, "~"
            yield lineno, TOKEN_OPERATOR, "("
            yield from self.tokeniter(body[start + 2 : end], name, filename, "variable")
            yield lineno, TOKEN_OPERATOR, ")"
            yield lineno, TOKEN_OPERATOR, "~"
            position = end + 1
        yield lineno, TOKEN_OPERATOR, ")"


_VERBATIM_RE = re.compile(r"\{%(-?)\s*(end)?verbatim\s*(-?)%\}")
_ELSEIF_RE = re.compile(r"\{%(-?)\s*elseif\b")


def preprocess(source: str) -> str:
    """Spell Pebble-only tags the Jinja way: ``verbatim`` → ``raw``, ``elseif`` → ``elif``."""
    if "verbatim" in source:
        source = _VERBATIM_RE.sub(lambda m: f"{{%{m[1]} {m[2] or ''}raw {m[3]}%}}", source)
    if "elseif" in source:
        source = _ELSEIF_RE.sub(lambda m: f"{{%{m[1]} elif", source)
    return source


# -- parser ------------------------------------------------------------------------------

#: Marker prefix of the helper calls the code generator expands.
HELPER_PREFIX = "__pebble_"

#: Binary operators: token test → precedence. Names are tested as ``name:<word>``.
_PRECEDENCE = {
    "name:or": 10,
    "name:and": 15,
    "name:is": 20,
    "name:contains": 20,
    "eq": 30,
    "ne": 30,
    "lt": 30,
    "gt": 30,
    "lteq": 30,
    "gteq": 30,
    "name:equals": 30,
    "name:in": 30,
    "name:isIn": 30,
    "name:not": 30,  # only as ``not in``
    "add": 40,
    "sub": 40,
    "mul": 60,
    "div": 60,
    "floordiv": 60,
    "mod": 60,
    "pow": 70,
    "pipe": 100,
    "tilde": 110,
    "dotdot": 120,
    "coalesce": 120,
    "undefcoalesce": 120,
}
_COMPARE = {"eq": "eq", "ne": "ne", "lt": "lt", "gt": "gt", "lteq": "lteq", "gteq": "gteq"}
_MATH = {
    "add": nodes.Add,
    "sub": nodes.Sub,
    "mul": nodes.Mul,
    "div": nodes.Div,
    "floordiv": nodes.FloorDiv,
    "mod": nodes.Mod,
    "pow": nodes.Pow,
}


def _truth(expr: nodes.Expr, where: str) -> nodes.Expr:
    """Pebble's boolean reading of a condition (see `PebbleOperators.pebble_truth`)."""
    return helper_call("truth", [expr, nodes.Const(where)], expr.lineno or 1)


def helper_call(helper: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    """A call the code generator turns into ``environment.<helper>(...)``."""
    marker = object.__new__(nodes.InternalName)
    nodes.Node.__init__(marker, HELPER_PREFIX + helper, lineno=lineno)
    return nodes.Call(marker, args, [], None, None, lineno=lineno)


class PebbleParser(Parser):
    """Jinja's statement parser with Pebble's expression grammar."""

    _depth = 0

    def parse_condexpr(self) -> nodes.Expr:
        """Pebble expression, then Jinja's ``x if c else y`` for compatibility."""
        lineno = self.stream.current.lineno
        expr = self.parse_or()
        while self.stream.skip_if("name:if"):
            test = self.parse_or()
            otherwise = self.parse_condexpr() if self.stream.skip_if("name:else") else None
            expr = nodes.CondExpr(_truth(test, ""), expr, otherwise, lineno=lineno)
            lineno = self.stream.current.lineno
        return expr

    def parse_or(self) -> nodes.Expr:
        """A full Pebble expression: binary operators, then ``c ? a : b``."""
        self._depth += 1
        try:
            if self._depth > limits.MAX_NESTING:
                self.fail("expression nested too deeply")
            expr = self._parse_binary(0)
            if self.stream.current.type == "question":
                lineno = next(self.stream).lineno
                then = self.parse_or()
                self.stream.expect("colon")
                otherwise = self.parse_or()
                expr = nodes.CondExpr(_truth(expr, ""), then, otherwise, lineno=lineno)
            return expr
        finally:
            self._depth -= 1

    def parse_primary(self, with_namespace: bool = False) -> nodes.Expr:
        """Literals, with Pebble's ``null``; Jinja's ``self`` is not reachable."""
        token = self.stream.current
        if token.type == "name" and token.value in ("null", "NULL"):
            next(self.stream)
            return nodes.Const(None, lineno=token.lineno)
        if token.type == "name" and token.value == "self":
            next(self.stream)
            return helper_call("undefined_name", [nodes.Const("self")], token.lineno)
        return super().parse_primary(with_namespace)

    def _operator(self) -> tuple[str, int] | None:
        token = self.stream.current
        key = f"name:{token.value}" if token.type == "name" else token.type
        precedence = _PRECEDENCE.get(key)
        if precedence is None:
            return None
        if key == "name:not" and not self.stream.look().test("name:in"):
            return None
        return key, precedence

    def _parse_operand(self) -> nodes.Expr:
        token = self.stream.current
        if token.test("name:not"):
            next(self.stream)
            # Pebble's `not` has precedence 500, like unary minus: it negates one operand,
            # so `not a and b` is `(not a) and b` and `not a == b` is `(not a) == b`.
            return nodes.Not(_truth(self._parse_operand(), "not()"), lineno=token.lineno)
        return self.parse_unary(with_filter=False)

    def _parse_binary(self, min_precedence: int) -> nodes.Expr:
        self._depth += 1
        try:
            if self._depth > limits.MAX_NESTING:
                self.fail("expression nested too deeply")
            left = self._parse_operand()
            while True:
                found = self._operator()
                if found is None or found[1] < min_precedence:
                    return left
                key, precedence = found
                left = self._combine(left, key, precedence)
        finally:
            self._depth -= 1

    def _combine(self, left: nodes.Expr, key: str, precedence: int) -> nodes.Expr:
        lineno = self.stream.current.lineno
        if key == "pipe":
            filtered = self.parse_filter(left)
            assert filtered is not None
            return filtered
        if key == "name:is":
            return self._parse_test(left)
        next(self.stream)
        if key == "name:not":
            self.stream.expect("name:in")
            right = self._parse_binary(precedence + 1)
            return nodes.Compare(left, [nodes.Operand("notin", right)], lineno=lineno)
        right = self._parse_binary(precedence + 1)
        if key == "name:or":
            left, right = _truth(left, "or operator"), _truth(right, "or operator")
            return nodes.Or(left, right, lineno=lineno)
        if key == "name:and":
            left, right = _truth(left, "and operator"), _truth(right, "and operator")
            return nodes.And(left, right, lineno=lineno)
        if key in _COMPARE:
            return nodes.Compare(left, [nodes.Operand(_COMPARE[key], right)], lineno=lineno)
        if key == "name:equals":
            return nodes.Compare(left, [nodes.Operand("eq", right)], lineno=lineno)
        if key in ("name:in", "name:isIn"):
            return nodes.Compare(left, [nodes.Operand("in", right)], lineno=lineno)
        if key == "name:contains":
            return helper_call("contains", [left, right], lineno)
        if key in _MATH:
            return _MATH[key](left, right, lineno=lineno)
        if key == "tilde":
            # Not a Jinja `Concat` node: Jinja would constant-fold it with Python's str().
            return helper_call("concat", [left, right], lineno)
        if key == "dotdot":
            return helper_call("range", [left, right], lineno)
        if key == "coalesce":
            return helper_call("coalesce", [left, right], lineno)
        # undefcoalesce
        return helper_call("undefined_coalesce", [left, right], lineno)

    def parse_if(self) -> nodes.If:
        """``{% if %}``/``{% elseif %}`` conditions read the Pebble way (null is an error)."""
        node = super().parse_if()
        for branch in (node, *node.elif_):
            assert isinstance(branch.test, nodes.Expr)
            branch.test = _truth(branch.test, "if statement")
        return node

    def parse_for(self) -> nodes.For:
        """``{% for %}``, walking its list through the render's loop budget."""
        node = super().parse_for()
        assert isinstance(node.iter, nodes.Expr)
        node.iter = helper_call("iterate", [node.iter], node.lineno)
        return node

    def parse_extends(self) -> nodes.Extends:
        """Not supported: a flow's template has no other templates to extend."""
        self.fail("the `extends` tag is not supported in Kestra expressions")

    def parse_include(self) -> nodes.Include:
        """Not supported: a flow's template has no other templates to include."""
        self.fail("the `include` tag is not supported in Kestra expressions")

    def parse_import(self) -> nodes.Import:
        """Not supported: a flow's template has no other templates to import."""
        self.fail("the `import` tag is not supported in Kestra expressions")

    def parse_from(self) -> nodes.FromImport:
        """Not supported: a flow's template has no other templates to import from."""
        self.fail("the `from` tag is not supported in Kestra expressions")

    def parse_filter(
        self, node: nodes.Expr | None, start_inline: bool = False
    ) -> nodes.Expr | None:
        """Filters, with ``default`` evaluated lazily (a missing input is empty, as in Pebble)."""
        return _lazy_default(super().parse_filter(node, start_inline))

    def _parse_test(self, left: nodes.Expr) -> nodes.Expr:
        tested = self.parse_test(left)
        negated = isinstance(tested, nodes.Not)
        test = tested.node if isinstance(tested, nodes.Not) else tested
        assert isinstance(test, nodes.Test)
        if test.name == "defined" and not test.args:
            # Evaluated lazily so that `a.b.c is defined` does not fail on a missing `a`.
            lazy: nodes.Expr = helper_call("test_defined", [test.node], test.lineno)
            return nodes.Not(lazy, lineno=test.lineno) if negated else lazy
        return tested


def _lazy_default(node: nodes.Expr | None) -> nodes.Expr | None:
    if not isinstance(node, nodes.Filter) or node.node is None:
        return node
    inner = _lazy_default(node.node)
    assert inner is not None
    node.node = inner
    if node.name == "default" and not node.kwargs and not node.dyn_args and not node.dyn_kwargs:
        return helper_call("default", [inner, *node.args], node.lineno or 1)
    return node


# -- code generator ------------------------------------------------------------------------

#: Helpers whose first N arguments are evaluated lazily (passed as lambdas).
_LAZY_ARGUMENTS = {"coalesce": 2, "undefined_coalesce": 2, "test_defined": 1, "default": 1}


class PebbleCodeGenerator(CodeGenerator):
    """Expands the parser's helper calls and installs Pebble's 0-based loop variable."""

    def writeline(self, x: str, node: nodes.Node | None = None, extra: int = 0) -> None:
        """Emit a line; after the runtime imports, swap in the Pebble loop context."""
        super().writeline(x, node, extra)
        if x.startswith("from jinja2.runtime import "):
            super().writeline("LoopContext = environment.loop_context_class")

    def visit_Call(  # noqa: N802 - Jinja's visitor naming
        self, node: nodes.Call, frame: Frame, forward_caller: bool = False
    ) -> None:
        """Helper calls become ``environment.<helper>(...)``; others as Jinja does."""
        target = node.node
        if isinstance(target, nodes.InternalName) and target.name.startswith(HELPER_PREFIX):
            helper = target.name[len(HELPER_PREFIX) :]
            lazy = _LAZY_ARGUMENTS.get(helper, 0)
            self.write(f"environment.pebble_{helper}(")
            for index, arg in enumerate(node.args):
                if index:
                    self.write(", ")
                if index < lazy:
                    self.write("lambda: ")
                self.visit(arg, frame)
            self.write(")")
            return
        super().visit_Call(node, frame, forward_caller=forward_caller)
