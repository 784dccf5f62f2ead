"""Template filters that render a stored message in the reader's language (issue 12).

``{% load messages %}`` then:
- ``{{ text|render_text:fallback }}``: a ``tariffs.rules.Text`` or a stored ``{"id", "params"}``;
- ``{{ line|line_description }}`` and ``{{ line|line_formula }}``: anything with ``description_text`` and
  ``description`` (``formula_text`` and ``formula``): a charge line of the engine, or an invoice line that
  stores them as JSON. The English string is the fallback.
"""

from django import template

from tariffs.messages import render_text as render

register = template.Library()


@register.filter
def render_text(text, fallback=""):
    return render(text, "" if fallback is None else str(fallback))


@register.filter
def line_description(line):
    return render(getattr(line, "description_text", None), getattr(line, "description", ""))


@register.filter
def line_formula(line):
    return render(getattr(line, "formula_text", None), getattr(line, "formula", ""))
