"""The message catalogs: extract hwr's words into ``hwr/locale/hwr.pot``, bring every
language's ``.po`` up to date with it, and compile the ``.mo`` files the app reads.

    python -m scripts.catalogs            # extract, update, compile
    python -m scripts.catalogs --check    # exit 1 when any of them is out of date

Translators edit ``hwr/locale/<lang>/LC_MESSAGES/hwr.po``; new messages arrive there
untranslated (a test fails until each has its translation).
"""

from __future__ import annotations

import argparse
import gettext
import io
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from hwr.translation import DOMAIN, ENGLISH, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[1]
POT = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extract() -> Catalog:
    """Every marked string in the app's Python, with where it is used."""
    catalog = Catalog(project="hwr", domain=DOMAIN, fuzzy=False)
    method_map = [("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / "hwr", method_map=method_map, keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        catalog.add(message, None, [(f"hwr/{filename}", lineno)],
                    auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def render_po(catalog: Catalog, **options) -> bytes:
    out = io.BytesIO()
    # File names without line numbers: an edit above a message does not make every
    # catalog out of date.
    write_po(out, catalog, width=88, omit_header=False, sort_output=False,
             include_previous=False, include_lineno=False, **options)
    return out.getvalue()


def render_mo(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _without_dates(data: bytes) -> bytes:
    """The file less its creation/revision date lines (they change at every run)."""
    return b"\n".join(line for line in data.splitlines()
                      if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date')))


def _messages(mo: bytes) -> dict | None:
    """A compiled catalog's messages, less its header (which holds dates)."""
    try:
        messages = dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)
    except Exception:  # noqa: BLE001 - missing or damaged: out of date
        return None
    messages.pop("", None)
    return messages


def planned() -> dict[Path, bytes]:
    """What each catalog file should hold, from the code and the translators' .po."""
    template = extract()
    files = {POT: render_po(template, ignore_obsolete=True)}
    for lang in LANGUAGES:
        if lang == ENGLISH:
            continue
        path = po_path(lang)
        catalog = read(path, lang) if path.exists() else Catalog(
            locale=lang, domain=DOMAIN, project="hwr")
        catalog.update(template, update_header_comment=False)
        catalog.fuzzy = False  # the header: a fuzzy one is left out of the .mo
        catalog.obsolete.clear()  # a message gone from the code leaves its catalogs
        files[path] = render_po(catalog)
        files[path.with_suffix(".mo")] = render_mo(catalog)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a catalog file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, data in planned().items():
        old = path.read_bytes() if path.exists() else b""
        same = (_without_dates(old) == _without_dates(data) if path.suffix != ".mo"
                else _messages(old) == _messages(data))
        if same:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for path in stale:
        print(("out of date: " if args.check else "wrote ") + str(path.relative_to(ROOT)))
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
