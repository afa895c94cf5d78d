"""The languages of the pages and their message catalogues.

Message ids are English; Simplified Chinese (``zh_CN``) has catalogues, one ``.po`` file per area of the
pages (``common.po``, ``warehouse.po``, ...), all merged when they are loaded. English needs none.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("zh_CN", "en")
"""The languages of the pages: Simplified Chinese and English."""
DEFAULT_LOCALE = "zh_CN"
_HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def normalise(tag: str | None) -> str | None:
    """One of `LOCALES` for a language tag (``zh``, ``zh-CN``, ``zh-Hans``, ``en-GB``, ``zh_CN``), or None.

    Every Chinese tag gets Simplified Chinese, the only Chinese catalogue (a reader of Traditional
    Chinese reads it more easily than English)."""
    if not tag:
        return None
    language = tag.strip().replace("_", "-").split("-")[0].lower()
    return {"zh": "zh_CN", "en": "en"}.get(language)


def _accepted(header: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (``q=0`` dropped)."""
    weighted = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for *_, tag in sorted(weighted)]


def negotiate(choice: str | None, accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The language of a page: the user's choice, else the first language of ``Accept-Language`` that
    the pages speak, else ``default``."""
    if chosen := normalise(choice):
        return chosen
    for tag in _accepted(accept_language or ""):
        if tag == "*":
            break
        if found := normalise(tag):
            return found
    return normalise(default) or DEFAULT_LOCALE


def html_lang(locale: str) -> str:
    """The ``lang`` attribute of a page in ``locale`` (BCP 47)."""
    return _HTML_LANG.get(locale, locale.replace("_", "-"))


@dataclass
class Catalogues:
    """The translations of every language, and what loading them found wrong."""

    translations: dict[str, gettext.NullTranslations]
    messages: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per language, msgid -> translation, as merged from every catalogue file."""
    conflicts: list[str] = field(default_factory=list)
    """Messages translated differently in two files of one language."""

    def for_locale(self, locale: str) -> gettext.NullTranslations:
        return self.translations.get(locale) or gettext.NullTranslations()

    def babel_locale(self, locale: str) -> Locale:
        return Locale.parse(locale)


def _translated(string: object) -> bool:
    """Whether a catalogue entry has its translation: a text, or every plural form."""
    if isinstance(string, str):
        return bool(string)
    return isinstance(string, (tuple, list)) and bool(string) and all(string)


def load_catalogues(directory: Path) -> Catalogues:
    """Every ``<directory>/<locale>/LC_MESSAGES/*.po``, merged per language and compiled in memory.

    Plural entries keep every form. Untranslated and fuzzy entries are left out (the English message id
    shows instead)."""
    translations: dict[str, gettext.NullTranslations] = {"en": gettext.NullTranslations()}
    messages: dict[str, dict[str, str]] = {}
    conflicts: list[str] = []
    for locale in LOCALES:
        files = sorted((directory / locale / "LC_MESSAGES").glob("*.po"))
        if not files:
            continue
        merged = Catalog(locale=locale)
        known: dict[str | tuple[str, ...], tuple[str | tuple[str, ...], str]] = {}
        for path in files:
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
            for message in catalog:
                if not message.id or message.fuzzy or not _translated(message.string):
                    continue
                text = message.string if isinstance(message.string, str) else tuple(message.string)
                previous = known.get(message.id)
                if previous is not None and previous[0] != text:
                    conflicts.append(
                        f"{locale}: {message.id!r} is {previous[0]!r} in {previous[1]} "
                        f"but {text!r} in {path.name}"
                    )
                    continue
                known[message.id] = (text, path.name)
                merged.add(message.id, text)
        buffer = io.BytesIO()
        write_mo(buffer, merged)
        buffer.seek(0)
        translations[locale] = Translations(fp=buffer)
        messages[locale] = {
            msgid: text
            for msgid, (text, _) in known.items()
            if isinstance(msgid, str) and isinstance(text, str)
        }
    return Catalogues(translations=translations, messages=messages, conflicts=conflicts)
