"""Finds words a page shows without the message catalogs: a string literal (or an
f-string's literal text) with English words in it, handed to a Streamlit call that
shows text (``st.button("Start")``, ``col.caption(f"{n} drawings")``, ``help="..."``)
instead of going through ``_``/``ngettext``.

Markup without words (``"---"``, ``'<div class="hwr-x">'``, icons) passes; so does
anything inside ``_(...)``, ``N_(...)`` or ``ngettext(...)``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

# Streamlit calls (on st, st.sidebar, a column, a container, a tab...) that show text.
SHOWS_TEXT = {
    "title", "header", "subheader", "caption", "markdown", "write", "text", "info",
    "warning", "error", "success", "toast", "exception", "button", "download_button",
    "form_submit_button", "link_button", "toggle", "checkbox", "radio", "selectbox",
    "multiselect", "select_slider", "slider", "number_input", "text_input", "text_area",
    "file_uploader", "pills", "segmented_control", "metric", "expander", "tabs",
    "spinner", "status", "progress", "popover", "page_link", "Page", "set_page_config",
    "html", "dialog", "latex", "code",
}
TEXT_KEYWORDS = {"label", "help", "placeholder", "caption", "text", "title", "body",
                 "page_title", "value_label", "delta", "name"}
TRANSLATORS = {"_", "N_", "ngettext"}
_MARKUP = re.compile(r"<[^>]*>|:material/[a-z_]+:|&[a-z]+;|\{[^}]*\}")
_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class Untranslated:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def has_words(text: str) -> bool:
    return bool(_WORD.search(_MARKUP.sub(" ", text)))


def _literal_words(node: ast.AST) -> str | None:
    """The English words a string argument shows, or None (translated, or no words)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if has_words(node.value) else None
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return text if has_words(text) else None
    if isinstance(node, ast.BinOp):  # "a" + "b", "..." % x
        return _literal_words(node.left) or _literal_words(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_words(node.body) or _literal_words(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in ("format", "join"):  # "...".format(...): the "..."
        return _literal_words(node.func.value)
    return None


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _is_log(target: ast.AST) -> bool:
    """log.warning(...), logger.info(...), logging.error(...): the log, not a page."""
    return isinstance(target, ast.Name) and target.id in ("log", "logger", "logging", "LOG")


def find(path: Path, root: Path) -> list[Untranslated]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr not in SHOWS_TEXT or _is_log(node.func.value):
            continue
        shown = list(node.args[:1]) + [k.value for k in node.keywords
                                       if k.arg in TEXT_KEYWORDS]
        if node.func.attr in ("tabs", "radio", "selectbox", "pills",
                              "segmented_control", "multiselect"):
            shown += [e for a in node.args[:2] if isinstance(a, (ast.List, ast.Tuple))
                      for e in a.elts]
        for arg in shown:
            words = _literal_words(arg)
            if words is not None:
                found.append(Untranslated(str(path.relative_to(root)), node.lineno, words))
    return found


def find_all(folder: Path, root: Path) -> list[Untranslated]:
    return [u for path in sorted(folder.rglob("*.py")) for u in find(path, root)]
