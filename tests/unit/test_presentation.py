"""How the pages say times, durations, numbers and codes, in English and Simplified Chinese."""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.numbers import format_decimal

from api.web.locale import LOCALE_DIR
from presentation import N_, Presenter, Vocabulary, html_lang, instant, load_catalogues, negotiate, normalise
from presentation.formatting import DATETIME_PATTERN, TIME_PATTERN

NOW = datetime(2026, 12, 7, 6, 20, tzinfo=UTC)
CATALOGUES = load_catalogues(LOCALE_DIR)


def english(now: datetime = NOW) -> Presenter:
    return Presenter("en", gettext.NullTranslations(), now)


def chinese(now: datetime = NOW) -> Presenter:
    return Presenter("zh_CN", CATALOGUES.for_locale("zh_CN"), now)


def test_a_time_is_in_the_local_time_of_its_place_with_the_zone_named():
    assert english().datetime(NOW, "Asia/Shanghai") == "2026-12-07 14:20 (Beijing time)"
    assert chinese().datetime(NOW, "Asia/Shanghai") == "2026-12-07 14:20（北京时间）"
    assert english().datetime(NOW, "Europe/Berlin") == "2026-12-07 07:20 (Central European Time)"
    assert chinese().datetime(NOW, "Europe/Berlin") == "2026-12-07 07:20（中欧时间）"
    assert english().datetime(NOW, "UTC") == "2026-12-07 06:20 (UTC)"
    assert english().datetime(NOW, "Asia/Shanghai", with_zone=False) == "2026-12-07 14:20"
    assert english().time(NOW, "Asia/Urumqi") == "12:20"
    assert english().zone_name("Asia/Urumqi") == "China (Urumqi) Time"


@pytest.mark.parametrize("presenter", [english, chinese])
def test_times_and_whole_numbers_read_as_babel_writes_them(presenter):
    """The presenter writes its numeric time patterns and small whole numbers itself, for speed."""
    say = presenter()
    moments = [NOW + timedelta(minutes=97 * n) for n in range(200)] + [datetime(1999, 1, 2, 3, 4, tzinfo=UTC)]
    for moment in moments:
        for zone in ("Asia/Shanghai", "Asia/Urumqi", "Europe/Berlin", "UTC"):
            local = moment.astimezone(ZoneInfo(zone))
            assert say.datetime(moment, zone, with_zone=False) == format_datetime(
                local, DATETIME_PATTERN, locale=say.babel_locale
            )
            assert say.time(moment, zone) == format_datetime(local, TIME_PATTERN, locale=say.babel_locale)
    for number in (*range(-1200, 1200, 7), 999, -999, 1000):
        assert say.number(number) == format_decimal(number, locale=say.babel_locale)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="naive"):
        english().datetime(datetime(2026, 12, 7, 6, 20), "Asia/Shanghai")
    with pytest.raises(ValueError, match="zone"):
        english().date(NOW)


def test_dates():
    assert english().date(date(2026, 12, 7)) == "Dec 7, 2026"
    assert chinese().date(date(2026, 12, 7)) == "2026年12月7日"
    late_evening_utc = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
    assert english().date(late_evening_utc, "Asia/Shanghai") == "Dec 8, 2026"


@pytest.mark.parametrize(
    ("offset", "in_english", "in_chinese"),
    [
        (timedelta(hours=2, minutes=10), "in 2 h 10 min", "2 小时 10 分钟后"),
        (-timedelta(minutes=15), "15 min ago", "15 分钟前"),
        (timedelta(seconds=20), "just now", "刚刚"),
        (timedelta(days=3, hours=4, minutes=59), "in 3 d 4 h", "3 天 4 小时后"),
        (-timedelta(days=2, minutes=5), "2 d ago", "2 天前"),
        (timedelta(hours=1), "in 1 h", "1 小时后"),
    ],
)
def test_relative_times(offset, in_english, in_chinese):
    assert english().relative(NOW + offset) == in_english
    assert chinese().relative(NOW + offset) == in_chinese


def test_durations_keep_their_two_largest_units():
    assert english().duration(timedelta(hours=2, minutes=10, seconds=29)) == "2 h 10 min"
    assert chinese().duration(timedelta(hours=2, minutes=10)) == "2 小时 10 分钟"
    assert english().duration(timedelta(seconds=59)) == "less than 1 min"
    assert english().duration(timedelta(days=1, hours=0, minutes=30)) == "1 d"
    assert english().duration(-timedelta(minutes=90)) == "1 h 30 min"
    assert english().duration(timedelta(days=1200)) == "1,200 d"


def test_numbers():
    assert english().number(1234567.891) == "1,234,567.891"
    assert english().number(Decimal("120.5"), digits=2) == "120.50"
    assert english().number(7, digits=0) == "7"
    assert chinese().number(1234.5) == "1,234.5"
    assert english().percent(0.255) == "26%"


def test_codes_in_words():
    vocabulary = Vocabulary()
    vocabulary.define("stock-state", {"in_transit": N_("In transit")})
    presenter = Presenter("en", gettext.NullTranslations(), NOW, vocabulary)
    assert presenter.words("stock-state", "in_transit") == "In transit"
    assert presenter.words("stock-state", "on_hold") == "on hold"
    assert presenter.words("stock-state", None) == ""
    vocabulary.define("stock-state", {"in_transit": N_("In transit"), "defective": N_("Defective")})
    with pytest.raises(ValueError, match="already reads"):
        vocabulary.define("stock-state", {"in_transit": N_("Travelling")})
    assert chinese().words("role", "warehouse") == "仓库人员"


@pytest.mark.parametrize(
    ("choice", "header", "expected"),
    [
        (None, None, "zh_CN"),
        ("en", "zh-CN", "en"),
        ("fr", "en-GB,en;q=0.9", "en"),
        (None, "fr-FR, de;q=0.9, en;q=0.5, zh;q=0.8", "zh_CN"),
        (None, "zh-Hant-TW", "zh_CN"),
        (None, "en-US;q=0, zh;q=0.1", "zh_CN"),
        (None, "fr, *;q=0.5", "zh_CN"),
        (None, "de;q=abc, en", "en"),
    ],
)
def test_the_language_is_the_choice_then_accept_language_then_the_default(choice, header, expected):
    assert negotiate(choice, header) == expected


def test_language_tags():
    assert normalise("zh_CN") == "zh_CN"
    assert normalise("EN-us") == "en"
    assert normalise("ja") is None
    assert negotiate(None, None, default="en") == "en"
    assert html_lang("zh_CN") == "zh-CN"
    assert html_lang("en") == "en"


def test_catalogues_merge_the_areas_and_report_clashes(tmp_path):
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    (folder / "common.po").write_text(header + 'msgid "Stock"\nmsgstr "库存"\n\nmsgid "Go"\nmsgstr ""\n')
    warehouse = 'msgid "Stock"\nmsgstr "存货"\n\n#, fuzzy\nmsgid "Box"\nmsgstr "箱"\n\n'
    plural = 'msgid "%(num)d unit"\nmsgid_plural "%(num)d units"\nmsgstr[0] "%(num)d 件"\n\n'
    (folder / "warehouse.po").write_text(header + warehouse + plural + 'msgid "Serial"\nmsgstr "序列号"\n')
    catalogues = load_catalogues(tmp_path)
    zh = catalogues.for_locale("zh_CN")
    assert zh.gettext("Stock") == "库存"
    assert zh.gettext("Serial") == "序列号"
    assert zh.gettext("Box") == "Box"  # fuzzy: not used
    assert zh.gettext("Go") == "Go"  # untranslated
    assert zh.ngettext("%(num)d unit", "%(num)d units", 3) % {"num": 3} == "3 件"
    assert catalogues.conflicts == ["zh_CN: 'Stock' is '库存' in common.po but '存货' in warehouse.po"]
    assert catalogues.for_locale("en").gettext("Stock") == "Stock"


def test_instants_as_records_keep_them():
    moment = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    assert instant("2026-12-06T11:00:00+08:00") == moment
    assert instant(moment) is moment
    assert instant("2026-12-06T11:00:00") is None  # no offset: no place in time
    assert instant(datetime(2026, 12, 6, 11, 0)) is None
    assert instant("yesterday") is None
    assert instant(None) is None
