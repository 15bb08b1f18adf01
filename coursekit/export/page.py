"""One notebook as one self-contained HTML page: math as MathML, figures embedded, no CDN scripts.

nbconvert's ``lab`` template loads require.js, MathJax and mermaid from cdnjs.cloudflare.com. The
offline page drops those blocks (math is MathML already, the course has no mermaid diagrams and
no widgets whose state would need the CDN's widget manager) and embeds markdown images.
``cdn=True`` keeps nbconvert's page unchanged (MathJax from the CDN).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from jinja2 import DictLoader, pass_context
from nbconvert import HTMLExporter
from nbconvert.exporters.exporter import ResourcesDict

from coursekit.export.mathml import markdown_to_html

OFFLINE_PAGE = "coursekit_offline_page.html.j2"
# the blocks of nbconvert's templates that load scripts from a CDN, emptied (pages and decks)
OFFLINE_BLOCKS = """
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_PAGE_TEMPLATE = "{%- extends 'index.html.j2' -%}" + OFFLINE_BLOCKS


class MathMLMarkdownMixin:
    """For nbconvert HTML exporters: the ``markdown2html`` filter writes math as MathML."""

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        path = context.get("resources", {}).get("metadata", {}).get("path", "")
        return markdown_to_html(source, attachments=cell.get("attachments", {}),
                                embed_images=self.embed_images, path=path,
                                anchor_link_text=self.anchor_link_text,
                                exclude_anchor_links=self.exclude_anchor_links, **self.lexer_options)


class OfflineHTMLExporter(MathMLMarkdownMixin, HTMLExporter):
    """nbconvert's lab-template HTML with MathML math and no scripts from a CDN."""

    def __init__(self, **kw):
        kw.setdefault("extra_loaders", [DictLoader({OFFLINE_PAGE: _PAGE_TEMPLATE})])
        super().__init__(**kw)
        self.template_file = OFFLINE_PAGE
        self.embed_images = True


def check_export_args(nb: nbformat.NotebookNode, target: str | Path, cdn: bool) -> Path:
    """Validate the arguments shared by :func:`export_html` and ``export_slides``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook to export.
    target : str or Path
        The file to write; its folder must exist.
    cdn : bool
        Whether the page loads its scripts from a CDN.

    Returns
    -------
    Path
        ``target`` as a Path.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``target``'s folder does not exist.
    """
    if not isinstance(nb, nbformat.NotebookNode):
        raise TypeError(f"nb must be an nbformat.NotebookNode, got {type(nb).__name__}")
    if not isinstance(target, (str, Path)):
        raise TypeError(f"target must be a str or Path (the output file), got {type(target).__name__}")
    if not isinstance(cdn, bool):
        raise TypeError(f"cdn must be a bool, got {type(cdn).__name__}")
    target = Path(target)
    if not target.parent.is_dir():
        raise ValueError(f"target's folder must exist, got {target.parent}")
    return target


def page_resources(target: Path, path: str | Path | None) -> ResourcesDict:
    """nbconvert's resources: the page title from the file name, the notebook folder for images.

    Parameters
    ----------
    target : Path
        The file to be written; its stem becomes the page title.
    path : str or Path, optional
        The notebook's folder, where markdown images with relative paths are looked up.

    Returns
    -------
    ResourcesDict
        ``{"metadata": {"name": ..., "path": ...}}`` for ``Exporter.from_notebook_node``.
    """
    metadata = ResourcesDict(name=target.name.split(".")[0])
    if path is not None:
        metadata["path"] = str(path)
    return ResourcesDict(metadata=metadata)


def export_html(nb: nbformat.NotebookNode, target: str | Path, *, cdn: bool = False,
                path: str | Path | None = None) -> Path:
    """Write ``nb`` as one HTML page that renders without network (unless ``cdn``).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook, executed or not (outputs are embedded as they are).
    target : str or Path
        The ``.html`` file to write; its folder must exist.
    cdn : bool
        ``True``: nbconvert's default page, with MathJax/require.js from cdnjs (smaller, needs network).
    path : str or Path, optional
        The notebook's folder, so markdown images with relative paths are found and embedded.

    Returns
    -------
    Path
        ``target``.
    """
    target = check_export_args(nb, target, cdn)
    exporter = HTMLExporter(embed_images=True) if cdn else OfflineHTMLExporter()
    body, _ = exporter.from_notebook_node(nb, resources=page_resources(target, path))
    target.write_text(body, encoding="utf-8")
    return target
