from django import template

from console.status import status_class as _status_class

register = template.Library()


@register.filter
def status_class(status: str) -> str:
    """``{{ status|status_class }}``: the PatternFly colour modifier of a status."""
    return _status_class(status)
