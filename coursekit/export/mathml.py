"""LaTeX math rendered to MathML at export time, so exported pages need no MathJax (and no network).

Browsers render MathML natively (Chromium since 109, Firefox, Safari). The markdown of a notebook
is parsed by nbconvert's own math-aware parser (so ``$`` inside code spans stays code); only its
math nodes are rendered differently: MathML instead of ``$…$`` text for MathJax to find later.
"""

from __future__ import annotations

import html
import re
import warnings

from latex2mathml.converter import convert
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

# operator names latex2mathml leaves as the raw command text; rewritten as \operatorname{...}
_OPERATOR_NAMES = ("arg", "argmin", "argmax")
_OPERATOR = re.compile(r"\\(" + "|".join(_OPERATOR_NAMES) + r")(?![A-Za-z])")
_TAG = re.compile(r"<[^>]+>")
_RAW_COMMAND = re.compile(r"\\[A-Za-z]+")


def latex_to_mathml(tex: str, display: bool = False) -> str:
    """Convert one LaTeX formula (without its ``$`` delimiters) to a ``<math>`` element.

    Parameters
    ----------
    tex : str
        The formula, e.g. ``r"J(G) = \\alpha J_{content}"``.
    display : bool
        ``True`` for a displayed (block) formula, ``False`` for inline math.

    Returns
    -------
    str
        ``<math xmlns=... display="block|inline">…</math>``.

    Raises
    ------
    ValueError
        When the formula uses a command the converter does not know (it would show as raw TeX).

    Examples
    --------
    >>> latex_to_mathml(r"\\alpha").startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
    True
    """
    if not isinstance(tex, str):
        raise TypeError(f"tex must be a str (a LaTeX formula), got {type(tex).__name__}")
    if not isinstance(display, bool):
        raise TypeError(f"display must be a bool, got {type(display).__name__}")
    if not tex.strip():
        raise ValueError("tex must be a non-empty formula, got an empty string")
    try:
        mathml = convert(_OPERATOR.sub(r"\\operatorname{\1}", tex), display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own exception types for malformed TeX
        raise ValueError(f"tex could not be converted to MathML: {tex!r} ({type(exc).__name__}: {exc})") from exc
    leftover = _RAW_COMMAND.findall(html.unescape(_TAG.sub(" ", mathml)))
    if leftover:
        raise ValueError(f"tex uses commands the MathML converter does not know: {leftover} in {tex!r}")
    return mathml


def _fallback(tex: str, reason: str) -> str:
    """Keep a formula that cannot be converted readable as code, and say so once per formula."""
    warnings.warn(f"math shown as TeX source: {reason}", stacklevel=3)
    return f'<code class="coursekit-tex">{html.escape(tex)}</code>'


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with math written as MathML instead of ``$…$`` text."""

    def _math(self, tex: str, display: bool) -> str:
        try:
            return latex_to_mathml(tex, display=display)
        except ValueError as exc:
            return _fallback(tex, str(exc))

    def block_math(self, body: str) -> str:
        return self._math(body, display=True)

    def inline_math(self, body: str) -> str:
        return self._math(body, display=False)

    def latex_environment(self, name: str, body: str) -> str:
        return self._math(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)


def markdown_to_html(source: str, **renderer_options) -> str:
    """Render notebook markdown to HTML with its math as MathML.

    Parameters
    ----------
    source : str
        Markdown text as in a notebook cell (``$…$`` inline, ``$$…$$`` display math).
    **renderer_options
        Passed to nbconvert's ``IPythonRenderer`` (``attachments``, ``embed_images``, ``path``...).

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> "<math" in markdown_to_html("a $x^2$ b") and "$" not in markdown_to_html("a $x^2$ b")
    True
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str (markdown), got {type(source).__name__}")
    renderer = MathMLRenderer(escape=False, **renderer_options)
    return MarkdownWithMath(renderer=renderer).render(source)
