"""Finds words a page shows without the message catalogs: a string literal (or an
f-string's literal text) with English words in it, handed to a Streamlit call that
shows text (``st.button("Start")``, ``col.caption(f"{n} drawings")``, ``help="..."``)
instead of going through ``_``/``ngettext``.

Markup without words (``"---"``, ``'<div class="hwr-x">'``, icons) passes; so does
anything inside ``_(...)``, ``N_(...)`` or ``ngettext(...)``.

Outside the pages (``hwr/reading``, ``hwr/class_data``: no Streamlit, so no ``_``) words
reach a user in two ways, and ``find_all_in_package`` checks both:

- a user's message: the arguments of ``Explained``, of every class that derives from it
  (``InvalidImageError``, ``RoundError``: found in the code) and of the other carriers of
  a user's sentence in ``USER_MESSAGES``; a page shows ``_(e.template).format(**e.values)``,
  so a sentence in them must be ``N_("...")``-marked and its values must not be words;
- what a function returns: a sentence (two words or more) in a ``return``/``yield`` is
  handed to a page, so it is an ``N_``-marked template too ("Layer {n}: ...").

Not shown, so not checked: docstrings, comments, the log (``log.info``, ``print``) and
the other exceptions (``ValueError`` for a programmer's mistake, ``StudentRemoved``,
whose page says its own translated sentence), and the few functions in ``ENGLISH_ONLY``
whose English the pages never show (they word it themselves).
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
# Besides Explained and its subclasses: what carries a sentence for a user out of
# hwr/reading and hwr/class_data (the page translates its template).
EXPLAINED = "Explained"
USER_MESSAGES = {"Words", "Preprocessed"}
# Functions whose English words no page shows (a page words them itself), with why.
ENGLISH_ONLY = {
    ("hwr/class_data/model_store.py", "label"):
        "the pages say which model answers with hwr.pages.class_page.model_teaching.model_label",
    ("hwr/class_data/rounds.py", "title"):
        "the pages name a round with hwr.pages.shared.lesson.round_title",
}
# Not shown: a <script>'s or <style>'s code, tags, icons, entities, placeholders.
_MARKUP = re.compile(r"<(script|style)\b.*?</\1>|<[^>]*>|:material/[a-z_]+:|&[a-z]+;"
                     r"|\{[^}]*\}", re.DOTALL | re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]{2,}")
_SENTENCE = re.compile(r"[A-Za-z]{2,}\S*\s+\S*[A-Za-z]{2,}")  # two words or more


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


def has_sentence(text: str) -> bool:
    """Two words or more: a phrase for a reader, not a key ("digit", "sqlite")."""
    return bool(_SENTENCE.search(_MARKUP.sub(" ", text)))


def user_message_classes(folder: Path) -> set[str]:
    """``Explained``, every class in ``folder`` that derives from it (however far down),
    and ``USER_MESSAGES``: the calls whose words are a user's message."""
    bases: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    filter(None, (_name(b) for b in node.bases)))
    found = {EXPLAINED} | USER_MESSAGES
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def _returns(tree: ast.AST, function: str | None = None):
    """(the enclosing function's name, a return/yield's value) for every one in ``tree``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _returns(node, node.name)
            continue
        if isinstance(node, (ast.Return, ast.Yield)) and node.value is not None:
            yield function, node.value
        yield from _returns(node, function)


def find_in_package(path: Path, root: Path, messages: set[str]) -> list[Untranslated]:
    """Words in ``path`` (outside the pages) that reach a user without the catalogs: in a
    user's message (a call of one of ``messages``) or returned by a function."""
    where = path.relative_to(root).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in messages:
            for arg in list(node.args) + [k.value for k in node.keywords]:
                words = _literal_words(arg)
                if words is not None:
                    found.append(Untranslated(where, node.lineno, words))
    for function, value in _returns(tree):
        words = _literal_words(value)
        if words is not None and has_sentence(words) \
                and (where, function) not in ENGLISH_ONLY:
            found.append(Untranslated(where, value.lineno, words))
    return sorted(found, key=lambda u: u.line)


def find_all_in_package(folder: Path, root: Path,
                        classes_in: Path | None = None) -> list[Untranslated]:
    """``find_in_package`` for every module in ``folder``; the user's message classes are
    those of ``classes_in`` (hwr as a whole: Explained's subclasses live anywhere)."""
    messages = user_message_classes(classes_in or folder)
    return [u for path in sorted(folder.rglob("*.py"))
            for u in find_in_package(path, root, messages)]
