"""The local copy of reveal.js that slide decks embed: the one jupyterlab-rise ships.

jupyterlab-rise (the ``[instructor]`` extra) bundles reveal.js into its webpack build and ships the
build's source maps, whose ``sourcesContent`` hold reveal.js's own distribution files verbatim:
``dist/reveal.esm.js`` and, wrapped as css-loader modules, ``dist/reveal.css`` and the themes.
Reading them from there means a deck needs no CDN, and the repository holds no copy of reveal.js.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

THEMES = ("white", "black", "simple", "serif", "sky", "beige", "moon", "solarized", "blood", "night",
          "league")
_ESM = "node_modules/reveal.js/dist/reveal.esm.js"
_CSS = "node_modules/reveal.js/dist/reveal.css"
_THEME = "node_modules/reveal.js/dist/theme/{}.css"
_VERSION = re.compile(r"reveal\.js (\d+\.\d+\.\d+)")
# css-loader module: `var ___CSS_LOADER_URL_IMPORT_0___ = new URL("data:...", import.meta.url);`
_URL_IMPORT = re.compile(r'var ___CSS_LOADER_URL_IMPORT_(\d+)___ = new URL\("([^"]*)"')
_URL_REPLACEMENT = re.compile(
    r"var ___CSS_LOADER_URL_REPLACEMENT_(\d+)___ = ___CSS_LOADER_GET_URL_IMPORT___\(___CSS_LOADER_URL_IMPORT_(\d+)___")
_CSS_BODY = re.compile(r"___CSS_LOADER_EXPORT___\.push\(\[module\.id, `(.*?)`, \"\"", re.S)
_JS_ESCAPE = re.compile(r"\\(.)", re.S)

INSTALL_HINT = ('reveal.js is taken from jupyterlab-rise, which is not installed: '
                'pip install -e ".[instructor]" (or pass --cdn to load reveal.js from unpkg.com when online)')


class RevealNotFoundError(FileNotFoundError):
    """No local reveal.js: jupyterlab-rise is missing, or its build no longer carries the sources."""


@dataclass(frozen=True)
class RevealAssets:
    """reveal.js's code and styles, as text, ready to be inlined in a deck.

    Attributes
    ----------
    version : str
        reveal.js's version, e.g. ``"4.4.0"``.
    js : str
        ``dist/reveal.esm.js``: an ES module whose default export is the Reveal API.
    css : str
        ``dist/reveal.css``.
    theme : str
        The theme's name.
    theme_css : str
        ``dist/theme/<theme>.css`` without its web-font ``@import``.
    """

    version: str  # e.g. "4.4.0"
    js: str       # dist/reveal.esm.js: an ES module whose default export is the Reveal API
    css: str      # dist/reveal.css
    theme: str    # name of the theme below
    theme_css: str  # dist/theme/<theme>.css without its web-font @import


def rise_static_dir() -> Path:
    """The folder of jupyterlab-rise's bundled web app; ``RevealNotFoundError`` when not installed.

    Returns
    -------
    Path
        The ``static`` folder of jupyterlab-rise's installed web app.

    Raises
    ------
    RevealNotFoundError
        When jupyterlab-rise (the ``[instructor]`` extra) is not installed.
    """
    spec = importlib.util.find_spec("jupyterlab_rise")
    if spec is None or not spec.submodule_search_locations:
        raise RevealNotFoundError(INSTALL_HINT)
    static = Path(next(iter(spec.submodule_search_locations))) / "static"
    if not static.is_dir():
        raise RevealNotFoundError(f"{INSTALL_HINT} (jupyterlab_rise has no static/ folder at {static})")
    return static


def _css_from_loader_module(module: str) -> str:
    """The CSS text inside a css-loader module, with its url(...) imports put back in place."""
    body = _CSS_BODY.search(module)
    if body is None:
        raise RevealNotFoundError("a reveal.js stylesheet in jupyterlab-rise has an unknown layout")
    imports = dict(_URL_IMPORT.findall(module))
    replacements = {n: imports[i] for n, i in _URL_REPLACEMENT.findall(module)}
    css = _JS_ESCAPE.sub(r"\1", body.group(1))  # template literal: \` \\ \$ are escaped
    for n, url in replacements.items():
        css = css.replace(f"${{___CSS_LOADER_URL_REPLACEMENT_{n}___}}", url)
    if "___CSS_LOADER" in css:
        raise RevealNotFoundError("a reveal.js stylesheet in jupyterlab-rise has an unresolved url()")
    return css


def _collect_sources(static: Path, wanted: set[str]) -> dict[str, str]:
    """Map each wanted source path suffix to its text, searching the static folder's source maps."""
    found: dict[str, str] = {}
    for map_path in sorted(static.glob("*.js.map")):
        raw = map_path.read_text(encoding="utf-8")
        if not any(suffix in raw for suffix in wanted if suffix not in found):
            continue  # cheap test before parsing JSON
        source_map = json.loads(raw)
        for name, text in zip(source_map.get("sources", []), source_map.get("sourcesContent") or [],
                              strict=False):  # sourcesContent may be shorter
            for suffix in wanted:
                if suffix not in found and text and name.endswith(suffix):
                    found[suffix] = text
        if len(found) == len(wanted):
            break
    return found


def find_reveal(theme: str = "white") -> RevealAssets:
    """Read reveal.js (code, base CSS, one theme) from the installed jupyterlab-rise.

    Parameters
    ----------
    theme : str
        A reveal.js theme name, one of ``THEMES``.

    Returns
    -------
    RevealAssets

    Raises
    ------
    RevealNotFoundError
        When jupyterlab-rise is not installed or its files no longer contain reveal.js.
    """
    if not isinstance(theme, str):
        raise TypeError(f"theme must be a str, got {type(theme).__name__}")
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {THEMES}, got {theme!r}")
    static = rise_static_dir()
    wanted = {_ESM, _CSS, _THEME.format(theme)}
    found = _collect_sources(static, wanted)
    missing = sorted(wanted - set(found))
    if missing:
        raise RevealNotFoundError(f"{INSTALL_HINT} (jupyterlab-rise in {static} lacks {missing})")
    js = found[_ESM]
    version = _VERSION.search(js[:400])
    return RevealAssets(version=version.group(1) if version else "unknown", js=js,
                        css=_css_from_loader_module(found[_CSS]), theme=theme,
                        theme_css=_css_from_loader_module(found[_THEME.format(theme)]))
