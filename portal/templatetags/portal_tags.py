"""Template helpers: Bootstrap classes on form widgets."""

from django import forms, template

register = template.Library()


@register.filter
def bootstrap(bound_field):
    """Render a bound field's widget with the Bootstrap class that fits it, marked invalid on errors."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})
