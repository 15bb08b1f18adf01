"""Exports that work in a lecture hall without network: notebook pages, slide decks, the course map.

- ``mathml``: LaTeX math to MathML at export time (no MathJax).
- ``reveal``: the local reveal.js that jupyterlab-rise ships (the ``[instructor]`` extra).
- ``page``: one notebook as one self-contained HTML page.
- ``deck``: one notebook as one self-contained reveal.js deck.
- ``course_index``: ``index.html``, the course map with objectives, times and links.
"""
