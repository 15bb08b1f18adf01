"""LaTeX to MathML at export time: hand-checked small formulas, code spans, bad input."""

from __future__ import annotations

import pytest

from coursekit.export.mathml import latex_to_mathml, markdown_to_html


def test_superscript_is_msup_and_display_is_kept():
    inline = latex_to_mathml("x^2")
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in inline
    assert 'display="inline"' in inline
    assert 'display="block"' in latex_to_mathml("x^2", display=True)


def test_greek_letters_become_characters():
    assert "&#x003B1;" in latex_to_mathml(r"\alpha")  # α, not the text "\alpha"


def test_arg_min_is_an_operator_name_not_raw_tex():
    mathml = latex_to_mathml(r"k^* = \arg\min_k d(x, x_k)")
    assert "\\" not in mathml and "arg" in mathml


def test_unknown_command_is_refused_rather_than_shown_raw():
    with pytest.raises(ValueError, match=r"does not know: \['\\\\foo'\]"):
        latex_to_mathml(r"\foo + x")


@pytest.mark.parametrize(("tex", "display", "error", "match"), [
    (3, False, TypeError, "tex must be a str"),
    ("x", 1, TypeError, "display must be a bool"),
    ("  ", False, ValueError, "non-empty"),
])
def test_bad_input(tex, display, error, match):
    with pytest.raises(error, match=match):
        latex_to_mathml(tex, display=display)


def test_markdown_math_becomes_mathml_and_code_spans_stay_code():
    html = markdown_to_html("Cost $J = \\alpha x$ and `$HOME`.\n\n$$\\sum_i x_i$$")
    assert html.count("<math") == 2 and 'display="block"' in html
    assert "<code>$HOME</code>" in html
    assert "\\alpha" not in html and "$J" not in html


def test_markdown_with_unconvertible_math_keeps_it_readable_and_warns():
    with pytest.warns(UserWarning, match="math shown as TeX source"):
        html = markdown_to_html("see $\\foo x$")
    assert '<code class="coursekit-tex">\\foo x</code>' in html


def test_markdown_to_html_rejects_non_str():
    with pytest.raises(TypeError, match="source must be a str"):
        markdown_to_html(b"$x$")
