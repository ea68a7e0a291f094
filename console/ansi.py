"""ANSI colour codes in log lines → escaped HTML spans (pure, no Django)."""

from __future__ import annotations

import html
import re

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_OTHER_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]|\x1b\][^\x07]*\x07|\x1b[()][AB0-2]")
_COLOURS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]


def ansi_to_html(line: str) -> str:
    """Escape ``line`` and turn SGR colour codes into ``<span class="ansi-…">``.

    Only the classes are emitted (no inline styles from the log), so a log line
    can never inject markup or CSS.
    """
    line = _OTHER_ESCAPES.sub("", line)
    out: list[str] = []
    classes: list[str] = []
    position = 0
    for match in _SGR.finditer(line):
        out.append(_span(html.escape(line[position : match.start()]), classes))
        position = match.end()
        classes = _apply(classes, match.group(1))
    out.append(_span(html.escape(line[position:]), classes))
    return "".join(out)


def _span(text: str, classes: list[str]) -> str:
    if not text or not classes:
        return text
    return f'<span class="{" ".join(classes)}">{text}</span>'


def _apply(classes: list[str], params: str) -> list[str]:
    # SGR codes are at most three digits; a longer run is noise (and int() of thousands
    # of digits raises), so it is ignored like any unknown code.
    codes = [int(p) for p in params.split(";") if p.isdigit() and len(p) <= 3] or [0]
    result = list(classes)
    for code in codes:
        if code == 0:
            result = []
        elif code == 1:
            result.append("ansi-bold")
        elif code == 3:
            result.append("ansi-italic")
        elif code == 4:
            result.append("ansi-underline")
        elif 30 <= code <= 37 or 90 <= code <= 97:
            result = [c for c in result if not c.startswith("ansi-fg-")]
            bright = "bright-" if code >= 90 else ""
            result.append(f"ansi-fg-{bright}{_COLOURS[code % 10]}")
        elif 40 <= code <= 47 or 100 <= code <= 107:
            result = [c for c in result if not c.startswith("ansi-bg-")]
            bright = "bright-" if code >= 100 else ""
            result.append(f"ansi-bg-{bright}{_COLOURS[code % 10]}")
        elif code == 39:
            result = [c for c in result if not c.startswith("ansi-fg-")]
        elif code == 49:
            result = [c for c in result if not c.startswith("ansi-bg-")]
    return list(dict.fromkeys(result))
