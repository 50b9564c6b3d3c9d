"""The languages hwr speaks: GNU gettext message catalogs (made and compiled with Babel)
and numbers, percentages and dates written the way each language writes them.

The catalogs live in ``hwr/locale/<lang>/LC_MESSAGES/hwr.po`` (what translators edit)
with the compiled ``hwr.mo`` beside it (what runs); ``hwr/locale/hwr.pot`` is extracted
from the code (``python -m scripts.catalogs``). English is the code's own words, so it
has no catalog. Adding a language is adding a catalog and a line in ``LANGUAGES``.

Nothing here knows Streamlit: ``hwr.pages.shared.language`` picks the page's language.
"""

from __future__ import annotations

import functools
import gettext
import logging
import re
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

log = logging.getLogger(__name__)

DOMAIN = "hwr"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"
# The language's own name: what the sidebar's picker lists.
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")


def parse_language(value: object) -> str | None:
    """The language hwr speaks for a browser locale or a ``?lang=`` value ("de-DE",
    "fr_CA", "es", "DE"), or None for one it does not speak or a malformed value."""
    if not isinstance(value, str) or len(value) > 35:
        return None
    match = _TAG.match(value.strip())
    if match is None:
        return None
    lang = match.group(1).lower()
    return lang if lang in LANGUAGES else None


def N_(message: str) -> str:
    """Marks a module-level string for the catalog (``python -m scripts.catalogs``);
    the page translates it where it is shown."""
    return message


class Explained(ValueError):
    """An error whose sentence is for the user, in any language: ``template`` is the
    sentence marked for the catalogs (``N_``) with named placeholders and ``values``
    fills them in. ``str(e)`` is the English sentence; a page shows
    ``_(e.template).format(**e.values)``."""

    def __init__(self, template: str, **values):
        super().__init__(template.format(**values) if values else template)
        self.template = template
        self.values = values

    def __reduce__(self):  # pickle and copy with the template and its values
        return _rebuild, (type(self), self.template, self.values)


def _rebuild(cls, template: str, values: dict) -> Explained:
    return cls(template, **values)


# A Message: a sentence for the teacher said in the language of whoever reads it. A
# thread with no page (the class's fine-tune, hwr.teaching) keeps its template and values,
# and each page says it in its own language; with a plural form (Message.ngettext,
# extracted as gettext's ngettext is) and values that are Messages themselves.
class Message(Explained):
    """A sentence in any language: ``template`` (``N_``-marked) filled in with ``values``;
    with ``plural`` (``Message.ngettext``), the form ``count`` asks for. ``str()`` is the
    English sentence (the log, the command line); ``text(lang)`` the sentence in
    ``lang``, its Message values said in ``lang`` too."""

    def __init__(self, template: str, plural: str | None = None, count: int | None = None,
                 /, **values):
        super().__init__(template, **values)
        self.plural, self.count = plural, count
        self.args = (self.text(ENGLISH),)

    @classmethod
    def ngettext(cls, singular: str, plural: str, count: int, /, **values) -> Message:
        """A sentence with a plural form, chosen by ``count`` as ``ngettext`` chooses
        (named as it is so that the catalogs take both forms)."""
        return cls(singular, plural, count, **values)

    def form(self, lang: str) -> str:
        """The template in ``lang``: its singular or plural form as ``count`` asks."""
        if self.plural is None:
            return gettext_in(lang, self.template)
        return ngettext_in(lang, self.template, self.plural, self.count)

    def text(self, lang: str) -> str:
        """The sentence in ``lang`` (a catalog's broken placeholder: the English one)."""
        if not self.values:
            return self.form(lang)
        values = {name: value.text(lang) if isinstance(value, Message) else value
                  for name, value in self.values.items()}
        try:
            return self.form(lang).format(**values)
        except (KeyError, IndexError, ValueError):
            return self.form(ENGLISH).format(**values)

    def __reduce__(self):  # pickle and copy with the plural form and the count
        return _rebuild_message, (type(self), self.template, self.plural, self.count,
                                   self.values)


def _rebuild_message(cls, template: str, plural: str | None, count: int | None,
                     values: dict) -> Message:
    return cls(template, plural, count, **values)


def text_in(lang: str, value: Message | str) -> str:
    """A Message in ``lang``; anything else (a teacher's own words) as it is."""
    return value.text(lang) if isinstance(value, Message) else str(value)


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (read once per process). English, or a catalog
    that is missing or damaged, gives the code's own English words; the log names the
    catalog that could not be read."""
    if lang == ENGLISH or lang not in LANGUAGES:
        return gettext.NullTranslations()
    path = catalog_path(lang)
    try:
        with path.open("rb") as f:
            return gettext.GNUTranslations(f)
    except FileNotFoundError:
        log.warning("hwr: no catalog for %s at %s: pages stay in English", lang, path)
    except Exception as e:  # noqa: BLE001 - damaged (OSError, bad magic, struct.error,
        # a bad charset...): English, never a traceback
        log.warning("hwr: the catalog %s cannot be read (%s): pages stay in English",
                    path, e)
    return gettext.NullTranslations()


def gettext_in(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def ngettext_in(lang: str, singular: str, plural: str, n: int) -> str:
    return translations(lang).ngettext(singular, plural, n)


@functools.cache
def babel_locale(lang: str) -> Locale:
    return Locale.parse(lang if lang in LANGUAGES else ENGLISH)


def _digits(decimals: int) -> str:
    """A CLDR number pattern with ``decimals`` fixed decimals ("#,##0.0")."""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def percent_in(lang: str, fraction: float, decimals: int = 0) -> str:
    """0.997 -> "99.7%" in English, "99,7\u00a0%" in German and French."""
    locale = babel_locale(lang)
    base = locale.percent_formats[None].pattern  # "#,##0%" or "#,##0\u00a0%"
    return format_percent(fraction, format=base.replace("#,##0", _digits(decimals), 1),
                          locale=locale)


def number_in(lang: str, value: float, decimals: int = 0) -> str:
    """1234.5 -> "1,234.5" in English, "1.234,5" in German."""
    return format_decimal(value, format=_digits(decimals), locale=babel_locale(lang))


def datetime_in(lang: str, timestamp: float) -> str:
    """A moment (seconds since the epoch, the server's time zone) as the language writes
    a date and a time: "30 Nov 2026, 17:05" in English, "30.11.2026, 17:05" in German."""
    return format_datetime(datetime.fromtimestamp(timestamp), format="short",
                           locale=babel_locale(lang))
