"""The message catalogues of the pages, one per area: what ``make messages`` runs.

An area is a module of pages and its templates: ``api/pages/<area>.py`` and
``api/templates/pages/<area>/``. Everything else the pages say (``base.html``, the macros, the error page,
``api/pages/__init__.py`` and ``session.py``, ``api/web``, ``presentation``) is the ``common`` area. Each
area has its own catalogue, ``api/locale/zh_CN/LC_MESSAGES/<area>.po``, so that two people adding screens
to two areas never edit the same file; all are merged when the application starts
(`presentation.load_catalogues`).

``python -m api.web.catalogues update [AREA ...]`` (``make messages AREA=...``; every area without one)
extracts the marked strings of each area (``_()``, ``gettext``, ``ngettext``, ``N_()`` in Python;
``_()``, ``{% trans %}`` in templates) and brings its catalogue up to date: new strings are added with
no translation, translations of strings that are gone are dropped. ``check`` lists every string without a
Chinese translation (tests/pages/test_catalogues.py fails on any).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

from api.web.locale import LOCALE_DIR
from presentation import load_catalogues

ROOT = Path(__file__).resolve().parent.parent.parent
COMMON = "common"
CHINESE = "zh_CN"
PAGES_DIR = ROOT / "api" / "pages"
TEMPLATES_DIR = ROOT / "api" / "templates"
COMMON_SOURCES = (ROOT / "api" / "web", ROOT / "presentation")
SHELL_MODULES = ("__init__", "session")
"""The modules of ``api/pages`` that belong to the common area."""
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def area_of(path: Path) -> str:
    """The area whose catalogue holds the strings of the file at ``path``."""
    relative = path.resolve().relative_to(ROOT)
    parts = relative.parts
    if parts[:2] == ("api", "pages") and len(parts) == 3:
        name = relative.stem
        return COMMON if name in SHELL_MODULES else name
    if parts[:3] == ("api", "templates", "pages") and len(parts) > 4:
        return COMMON if parts[3] == "session" else parts[3]
    return COMMON


def sources() -> list[Path]:
    """Every file whose strings are shown on the pages."""
    found = sorted(PAGES_DIR.glob("*.py")) + sorted(TEMPLATES_DIR.rglob("*.html"))
    for directory in COMMON_SOURCES:
        found += sorted(directory.rglob("*.py"))
    return found


def areas() -> list[str]:
    """Every area with a source file."""
    return sorted({area_of(path) for path in sources()})


def extract(area: str) -> Catalog:
    """The strings marked for translation in ``area``'s files, with where each is used."""
    template = Catalog(locale=None, project="Spareline", charset="utf-8")
    for path in sources():
        if area_of(path) != area:
            continue
        method = babel_extract if path.suffix == ".html" else "python"
        options = JINJA_OPTIONS if path.suffix == ".html" else {}
        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=DEFAULT_KEYWORDS, options=options
        ):
            template.add(
                message,
                locations=[(path.relative_to(ROOT).as_posix(), lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def catalogue_path(area: str, locale: str = CHINESE) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{area}.po"


def update(area: str) -> Path:
    """Bring ``area``'s Chinese catalogue up to date with its sources; its path."""
    template = extract(area)
    path = catalogue_path(area)
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=CHINESE)
    else:
        comment = f"# Simplified Chinese messages of the {area} pages; update: make messages AREA={area}"
        catalog = Catalog(
            locale=CHINESE,
            project="Spareline",
            charset="utf-8",
            header_comment=comment,
            fuzzy=False,
        )
    catalog.update(template, no_fuzzy_matching=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(
            handle,
            catalog,
            width=110,
            sort_output=True,
            ignore_obsolete=True,
            include_previous=False,
            include_lineno=False,
        )
    return path


def untranslated(names: Iterable[str] | None = None) -> list[str]:
    """The strings of ``names`` (every area by default) that have no Chinese translation, and the
    strings two catalogues translate differently."""
    merged = load_catalogues(LOCALE_DIR)
    translated = merged.messages.get(CHINESE, {})
    missing = list(merged.conflicts)
    for area in names or areas():
        for message in extract(area):
            if message.id and message.id not in translated:
                where = ", ".join(f"{file}:{line}" for file, line in message.locations)
                missing.append(f"{area}: {message.id!r} ({where}) has no translation in {area}.po")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.web.catalogues", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    update_command = commands.add_parser("update", help="extract the strings of areas into their catalogues")
    update_command.add_argument("areas", nargs="*", help=f"areas (default: all); {', '.join(areas())}")
    commands.add_parser("check", help="list the strings without a Chinese translation")
    args = parser.parse_args(argv)
    if args.command == "update":
        for area in args.areas or areas():
            path = update(area)
            print(f"{path.relative_to(ROOT)}: {len(extract(area))} strings")  # noqa: T201
        return 0
    missing = untranslated()
    for line in missing:
        print(line)  # noqa: T201
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
