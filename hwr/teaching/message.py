"""A sentence for the teacher that is said in the language of whoever reads it.

The teaching service runs in a thread of its own, and what it says is read later: by the
teacher who started the fine-tune, by another teacher, in whatever language each page
speaks. So it never translates: it keeps a ``Message``, the sentence's template (marked
for the catalogs) and the values that fill it in, and a page says it with
``message.text(lang)``.

A ``Message`` is an ``hwr.translation.Explained`` that can also have a plural form
(``Message.ngettext``, extracted by ``python -m scripts.catalogs`` as gettext's
``ngettext`` is) and values that are Messages themselves ("1 or 7", a reason), said in
the same language. Nothing here knows Streamlit or the rest of hwr.teaching: the
fine-tune's own rule (``hwr.learning.finetune``) says why it cannot run with it too.
"""

from __future__ import annotations

from hwr.translation import ENGLISH, Explained, gettext_in, ngettext_in


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
        return _rebuild, (type(self), self.template, self.plural, self.count, self.values)


def _rebuild(cls, template: str, plural: str | None, count: int | None,
             values: dict) -> Message:
    return cls(template, plural, count, **values)


def text_in(lang: str, value: Message | str) -> str:
    """A Message in ``lang``; anything else (a teacher's own words) as it is."""
    return value.text(lang) if isinstance(value, Message) else str(value)
