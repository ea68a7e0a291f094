from __future__ import annotations

from console.ansi import ansi_to_html


def test_ansi_colours_become_classes_and_text_is_escaped():
    line = "\x1b[1;31mERROR\x1b[0m <script>alert(1)</script> \x1b[32mok\x1b[39m done"
    assert ansi_to_html(line) == (
        '<span class="ansi-bold ansi-fg-red">ERROR</span> &lt;script&gt;alert(1)&lt;/script&gt; '
        '<span class="ansi-fg-green">ok</span> done'
    )


def test_ansi_other_escapes_are_dropped():
    assert ansi_to_html("\x1b[2Kprogress \x1b[?25lhidden") == "progress hidden"


def test_an_absurdly_long_code_is_ignored_not_a_crash():
    line = "\x1b[" + "9" * 5000 + "mhello \x1b[31m<red>"
    assert ansi_to_html(line) == 'hello <span class="ansi-fg-red">&lt;red&gt;</span>'
