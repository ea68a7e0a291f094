import re
from datetime import timedelta

from django import template

from console.status import status_class as _status_class
from projects.roles import role_at_least

register = template.Library()


@register.filter
def status_class(status: str) -> str:
    """``{{ status|status_class }}``: the PatternFly colour modifier of a status."""
    return _status_class(status)


@register.filter
def duration(value: timedelta | None) -> str:
    """``{{ build.duration|duration }}``: "0.4 s", "12 s", "3 min 5 s", "2 h 7 min"."""
    if value is None:
        return "—"
    seconds = value.total_seconds()
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, seconds_left = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {seconds_left} s" if seconds_left else f"{minutes} min"
    hours, minutes_left = divmod(minutes, 60)
    return f"{hours} h {minutes_left} min" if minutes_left else f"{hours} h"


_DIGEST = re.compile(r"(sha256:[0-9a-f]{12})[0-9a-f]{52}")


@register.filter
def short_digest(value: str) -> str:
    """``repo@sha256:<64 hex>`` as ``repo@sha256:<12 hex>…`` (the whole one goes in a title)."""
    return _DIGEST.sub(r"\1…", value or "")


@register.filter
def get_item(mapping: dict, key: str):
    """``{{ values|get_item:key }}``: a dict's value for a key held in a variable."""
    return (mapping or {}).get(key, "")


@register.filter
def at_least(role: str | None, needed: str) -> bool:
    """``{% if project.my_role|at_least:"edit" %}``: whether a role reaches another."""
    return role_at_least(role, needed)
