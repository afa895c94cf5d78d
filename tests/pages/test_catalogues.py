"""Every string the pages mark for translation has its Chinese translation, in its area's catalogue."""

from __future__ import annotations

from api.web.catalogues import COMMON, area_of, catalogue_path, extract, untranslated
from api.web.catalogues import ROOT as REPOSITORY


def test_every_marked_string_has_a_chinese_translation():
    assert untranslated() == []


def test_each_area_has_its_own_catalogue():
    assert area_of(REPOSITORY / "api" / "pages" / "session.py") == COMMON
    assert area_of(REPOSITORY / "api" / "pages" / "warehouse.py") == "warehouse"
    assert area_of(REPOSITORY / "api" / "templates" / "pages" / "portal" / "home.html") == "portal"
    assert area_of(REPOSITORY / "api" / "templates" / "pages" / "session" / "login.html") == COMMON
    assert area_of(REPOSITORY / "api" / "templates" / "base.html") == COMMON
    assert area_of(REPOSITORY / "presentation" / "formatting.py") == COMMON
    assert catalogue_path(COMMON).exists()
    assert "Sign in" in {message.id for message in extract(COMMON)}
