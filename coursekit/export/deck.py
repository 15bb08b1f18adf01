"""One notebook as a reveal.js slide deck in a single file that presents without network.

nbconvert's ``reveal`` template loads reveal.js, require.js, jQuery and MathJax from CDNs. The
offline deck inlines reveal.js (code and styles, from jupyterlab-rise: ``coursekit.export.reveal``)
and writes math as MathML. reveal.js's ES module is imported from a ``data:`` URL because browsers
refuse module files from ``file://`` pages but accept an inline module importing a ``data:`` one.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbconvert import SlidesExporter

from coursekit.authoring import annotate_slides
from coursekit.export.page import (
    OFFLINE_BLOCKS,
    MathMLMarkdownMixin,
    check_export_args,
    page_resources,
)
from coursekit.export.reveal import RevealAssets

OFFLINE_DECK = "coursekit_offline_deck.html.j2"
# the <link> tags of nbconvert's reveal template point here; they are replaced by inline <style>
_MARKER = "coursekit-inline-reveal"
_LINK = '<link[^>]*href="' + _MARKER + '/dist/{}"[^>]*>'
_DECK_TEMPLATE = "{%- extends 'index.html.j2' -%}" + OFFLINE_BLOCKS + """
{% block footer_js %}
<script type="module">
import Reveal from "data:text/javascript;base64,{{ resources.coursekit_reveal_js }}";
Reveal.initialize({
  controls: true, progress: true, history: true, hash: true,
  transition: {{ resources.reveal.transition | default('slide', true) | json_dumps }},
  slideNumber: {{ resources.reveal.number | default('', true) | json_dumps }},
  width: {{ resources.reveal.width | default('960', true) }},
  height: {{ resources.reveal.height | default('700', true) }},
});
window.Reveal = Reveal;  // for the console, and for tests
</script>
{% endblock footer_js %}
"""


class OfflineSlidesExporter(MathMLMarkdownMixin, SlidesExporter):
    """nbconvert's reveal template with MathML math and no scripts from a CDN (reveal.js inlined)."""

    def __init__(self, **kw):
        kw.setdefault("extra_loaders", [DictLoader({OFFLINE_DECK: _DECK_TEMPLATE})])
        super().__init__(**kw)
        self.template_file = OFFLINE_DECK
        self.embed_images = True
        self.reveal_url_prefix = _MARKER


def _inline_styles(body: str, reveal: RevealAssets) -> str:
    """Replace the two stylesheet links of the reveal template by the CSS itself."""
    styles = {"reveal.css": f"<style>\n{reveal.css}\n</style>",
              f"theme/{reveal.theme}.css": f'<style id="theme">\n{reveal.theme_css}\n</style>'}
    for href, style in styles.items():
        link = re.compile(_LINK.format(re.escape(href)))
        if len(link.findall(body)) != 1:  # nbconvert's template changed: fail rather than ship a dead link
            raise RuntimeError(f"the reveal template no longer has exactly one link to {href}")
        body = link.sub(lambda _, style=style: style, body)  # a function: CSS has backslashes
    return body


def export_slides(nb: nbformat.NotebookNode, target: str | Path, *, reveal: RevealAssets | None = None,
                  cdn: bool = False, path: str | Path | None = None) -> Path:
    """Write ``nb`` as a reveal.js deck (cells' slide metadata, or ``annotate_slides`` defaults).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook, executed or not.
    target : str or Path
        The ``.html`` file to write; its folder must exist.
    reveal : RevealAssets, optional
        reveal.js to inline (``coursekit.export.reveal.find_reveal()``); required unless ``cdn``.
    cdn : bool
        ``True``: nbconvert's default deck, loading reveal.js, MathJax, require.js from CDNs.
    path : str or Path, optional
        The notebook's folder, so markdown images with relative paths are embedded.

    Returns
    -------
    Path
        ``target``.
    """
    target = check_export_args(nb, target, cdn)
    if not cdn and not isinstance(reveal, RevealAssets):
        raise TypeError(f"reveal must be RevealAssets (from find_reveal()) unless cdn=True, "
                        f"got {type(reveal).__name__}")
    nb = annotate_slides(nb)
    resources = page_resources(target, path)
    if cdn:
        body, _ = SlidesExporter().from_notebook_node(nb, resources=resources)
    else:
        exporter = OfflineSlidesExporter(reveal_theme=reveal.theme)
        resources["coursekit_reveal_js"] = base64.b64encode(reveal.js.encode("utf-8")).decode("ascii")
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        body = _inline_styles(body, reveal)
    target.write_text(body, encoding="utf-8")
    return target
