"""The sandbox documents are rendered in: Django's template language with a short list of tags
and filters, no loaders, no ``{% load %}``, and a context of plain dicts, lists and strings
(documents.placeholders builds it from the record; no model instance ever reaches a template).

A template is checked against its kind's placeholders before it is saved or previewed: every
variable, loop and ``with`` must name a documented placeholder, so a typo or an attempt to reach
``account.delete`` or ``__class__`` is refused with the field and the name, not rendered as
an empty string or worse. What is checked is the parsed template's nodes; a node type this
module does not know is refused too, so a newly allowed tag cannot slip past the check.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.template import (
    Context,
    Engine,
    Library,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import FilterExpression, Node, NodeList, TextNode, VariableNode
from django.template.defaulttags import (
    CommentNode,
    CycleNode,
    FirstOfNode,
    ForNode,
    IfNode,
    SpacelessNode,
    TemplateLiteral,
    VerbatimNode,
    WithNode,
)
from django.template.smartif import Literal
from django.utils.translation import gettext as _

from fieldcrm.documents import limits
from fieldcrm.documents.limits import RenderLimit

# Block tags and filters a template may use. Left out on purpose: load, include, extends, url,
# csrf_token, debug (reach beyond the data), autoescape and the safe filters (unescaped
# text), dictsort/regroup (attribute lookups the check cannot follow), now (the server's clock).
TAGS = ("if", "for", "with", "firstof", "comment", "spaceless", "verbatim", "cycle")
FILTERS = (
    "add", "capfirst", "center", "cut", "default", "default_if_none", "divisibleby", "first",
    "floatformat", "join", "last", "length", "linebreaks", "linebreaksbr", "ljust", "lower",
    "rjust", "slice", "title", "truncatechars", "truncatewords", "upper", "wordwrap", "yesno",
)  # fmt: skip
# The body is stored and parsed whole; a document's template is a page or two of HTML.
MAX_TEMPLATE_CHARS = 100_000

# Filters whose argument is a width or a number of digits: a literal, small number only.
NUMBER_ARGS = {"center": limits.MAX_WIDTH, "ljust": limits.MAX_WIDTH, "rjust": limits.MAX_WIDTH,
               "wordwrap": limits.MAX_WIDTH, "floatformat": limits.MAX_DIGITS,
               "divisibleby": 1_000_000}  # fmt: skip


class RenderRefused(Exception):
    """The template parsed and checked, but cannot be rendered with this data."""


def _guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` stopped before it makes a value longer than MAX_VALUE_CHARS (add, join) and
    after (any other), and its errors (``divisibleby`` of a word) refused, not a 500."""

    @functools.wraps(func)
    def guarded(value: Any, *args: Any, **kwargs: Any) -> Any:
        if name in ("add", "join") and args:
            many = len(value) if name == "join" and hasattr(value, "__len__") else 1
            size = _size(value) + many * _size(args[0])
            if size > limits.MAX_VALUE_CHARS:
                _too_long()
        try:
            out = func(value, *args, **kwargs)
        except (ArithmeticError, TypeError, ValueError, AttributeError, IndexError):
            raise RenderRefused(
                _("The filter “%(name)s” cannot be applied to this value.") % {"name": name}
            ) from None
        if isinstance(out, str | list) and _size(out) > limits.MAX_VALUE_CHARS:
            _too_long()
        return out

    return guarded


def _size(value: Any) -> int:
    if isinstance(value, list | tuple):
        return sum(_size(v) for v in value)
    return len(value) if isinstance(value, str) else len(str(value))


def _too_long() -> None:
    raise RenderLimit(
        _("One value would be longer than %(n)s characters.") % {"n": f"{limits.MAX_VALUE_CHARS:,}"}
    )


register = Library()
for _tag in TAGS:
    register.tags[_tag] = defaulttags.register.tags[_tag]
for _filter in FILTERS:
    register.filters[_filter] = _guarded(_filter, defaultfilters.register.filters[_filter])

# The variables Django's {% for %} adds inside a loop.
FORLOOP = dict.fromkeys(("counter", "counter0", "revcounter", "revcounter0", "first", "last"), "")


class SandboxEngine(Engine):
    # Engine appends its own builtins (every default tag, include and extends among them) to
    # the ones asked for: replace them with this module's library alone.
    default_builtins = ["fieldcrm.documents.sandbox"]


ENGINE = SandboxEngine(loaders=[], libraries={}, autoescape=True, debug=False)


class TemplateRefused(Exception):
    """The template does not parse or names what its kind does not offer."""


def render(body: str, data: dict[str, Any]) -> str:
    """``body`` rendered with ``data`` (plain values only); checked by ``check`` before.
    Counted as it renders (limits.Budget): RenderLimit past a limit, RenderRefused when a
    filter cannot take its value."""
    with limits.budget() as budget:
        template = ENGINE.from_string(body)
        for node in template.nodelist.get_nodes_by_type(Node):
            _meter(node, budget)
        return template.render(Context(data, autoescape=True))


def _meter(node: Node, budget: limits.Budget) -> None:
    """Count ``node``'s cost in ``budget`` each time it renders: a loop its iterations before
    it runs them, any other node one step and the characters it outputs."""
    render_node = node.render
    if isinstance(node, ForNode):

        def render_loop(context: Context) -> str:
            sequence: Any = node.sequence
            values = sequence.resolve(context, ignore_failures=True)
            budget.charge(steps=1 + (len(values) if hasattr(values, "__len__") else 0))
            return render_node(context)

        setattr(node, "render", render_loop)  # noqa: B010 - an instance's own render
        return
    if node.child_nodelists and not isinstance(node, VerbatimNode):

        def render_branch(context: Context) -> str:
            budget.charge()
            return render_node(context)

        setattr(node, "render", render_branch)  # noqa: B010
        return

    def render_leaf(context: Context) -> str:
        out = render_node(context)
        budget.charge(chars=len(out))
        return out

    setattr(node, "render", render_leaf)  # noqa: B010


def check(body: str, schema: dict[str, Any]) -> None:
    """Refuse (TemplateRefused with a message for the user) a template that does not parse or
    that names anything outside ``schema`` (a dict: key -> help text, a nested dict, or a
    one-item list holding the item's schema)."""
    if len(body) > MAX_TEMPLATE_CHARS:
        raise TemplateRefused(_("At most %(n)s characters.") % {"n": f"{MAX_TEMPLATE_CHARS:,}"})
    try:
        template = ENGINE.from_string(body)
    except TemplateSyntaxError as exc:
        raise TemplateRefused(
            _("The template does not parse: %(error)s") % {"error": exc}
        ) from None
    _walk(template.nodelist, schema)
    depth = _loop_depth(template.nodelist)
    if depth > limits.MAX_LOOP_DEPTH:
        raise TemplateRefused(
            _("Loops are nested %(depth)s deep; at most %(n)s loops may be inside each other.")
            % {"depth": depth, "n": limits.MAX_LOOP_DEPTH}
        )


def _loop_depth(nodes: NodeList) -> int:
    """How many {% for %} are inside each other at the deepest place."""
    deepest = 0
    for node in nodes:
        inner = max(
            (_loop_depth(getattr(node, name)) for name in node.child_nodelists
             if getattr(node, name, None)),
            default=0,
        )  # fmt: skip
        deepest = max(deepest, inner + (1 if isinstance(node, ForNode) else 0))
    return deepest


def _walk(nodes: NodeList, scope: dict[str, Any]) -> None:
    for node in nodes:
        _node(node, scope)


def _node(node: Node, scope: dict[str, Any]) -> None:
    if isinstance(node, TextNode | CommentNode | VerbatimNode):
        return
    if isinstance(node, VariableNode):
        _expression(node.filter_expression, scope)
    elif isinstance(node, ForNode):
        _for(node, scope)
    elif isinstance(node, IfNode):
        for condition, nodelist in node.conditions_nodelists:
            if condition is not None:
                _condition(condition, scope)
            _walk(nodelist, scope)
    elif isinstance(node, WithNode):
        inner = dict(scope)
        for name, expression in node.extra_context.items():
            inner[name] = _expression(expression, scope)
        _walk(node.nodelist, inner)
    elif isinstance(node, FirstOfNode | CycleNode):
        for expression in node.vars if isinstance(node, FirstOfNode) else node.cyclevars:
            _expression(expression, scope)
    elif isinstance(node, SpacelessNode):
        _walk(node.nodelist, scope)
    else:  # a node this check does not know: refused rather than trusted
        raise TemplateRefused(_("This tag is not allowed here: %(tag)s") % {"tag": node.token})


def _for(node: Any, scope: dict[str, Any]) -> None:
    shape = _expression(node.sequence, scope)
    if not isinstance(shape, list):
        raise TemplateRefused(
            _("“%(name)s” is not a list to loop over.") % {"name": node.sequence.token}
        )
    if len(node.loopvars) != 1:
        raise TemplateRefused(_("Loop over one name at a time: {% for line in lines %}."))
    inner = {**scope, node.loopvars[0]: shape[0], "forloop": FORLOOP}
    _walk(node.nodelist_loop, inner)
    _walk(node.nodelist_empty, scope)


def _condition(condition: Any, scope: dict[str, Any]) -> None:
    """An {% if %} condition: a tree of operators over TemplateLiterals (smartif)."""
    if isinstance(condition, TemplateLiteral):
        _expression(condition.value, scope)  # type: ignore[arg-type]
        return
    if isinstance(condition, Literal):
        return
    for part in (condition.first, condition.second):
        if part is not None:
            _condition(part, scope)


def _expression(expression: FilterExpression, scope: dict[str, Any]) -> Any:
    """Check a variable and its filters' arguments; return the shape it resolves to."""
    shape = _variable(expression.var, scope)
    for func, args in expression.filters:
        name = getattr(func, "_filter_name", func.__name__)
        for is_variable, arg in args:
            if is_variable:
                _variable(arg, scope)
            if name in NUMBER_ARGS:
                _number_arg(name, is_variable, arg)
        # first and last of a list keep its items' shape; any other filter makes text.
        shape = shape[0] if name in ("first", "last") and isinstance(shape, list) else ""
    return shape


def _variable(variable: Any, scope: dict[str, Any]) -> Any:
    lookups = getattr(variable, "lookups", None)
    if lookups is None:  # a literal: "text", 3
        return ""
    shape: Any = scope
    for depth, part in enumerate(lookups):
        if isinstance(shape, list) and part.isdigit():
            shape = shape[0]
        elif isinstance(shape, dict) and part in shape:
            shape = shape[part]
        else:
            name = ".".join(lookups[: depth + 1])
            raise TemplateRefused(_("Unknown placeholder: %(name)s") % {"name": name})
    return shape


def _number_arg(name: str, is_variable: bool, arg: Any) -> None:
    """A width or a number of digits: a number written in the template, at most the limit
    (``ljust:"1000000000"`` would make a gigabyte before anything could count it)."""
    if is_variable:  # a number without quotes parses as a Variable with a literal
        text = "" if getattr(arg, "lookups", None) else str(getattr(arg, "literal", ""))
    else:
        text = str(arg)
    digits = re.fullmatch(r"-?(\d{1,9})[gu]{0,2}", text)
    most = NUMBER_ARGS[name]
    if (
        digits is None
        or int(digits.group(1)) > most
        or (name in ("wordwrap", "divisibleby") and int(digits.group(1)) == 0)
    ):
        raise TemplateRefused(
            _("The filter “%(name)s” takes a number from 1 to %(n)s written in the template.")
            % {"name": name, "n": most}
        )
