"""Times, dates, durations and numbers for people, in their language.

A time is always shown in the local time of its place (a depot's or a site's time zone), with the zone
named: ``2026-12-07 14:20 (Beijing time)``, in Chinese ``2026-12-07 14:20 (北京时间)`` with full-width
brackets. Relative times and durations keep two units: ``in 2 h 10 min`` / ``2 小时 10 分钟后``,
``15 min ago`` / ``15 分钟前``.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, get_timezone_name
from babel.numbers import format_decimal, format_percent

from presentation.words import N_, VOCABULARY, Vocabulary

DATETIME_PATTERN = "yyyy-MM-dd HH:mm"
"""Dates and times read the same in both languages: compact, sortable, unambiguous."""
TIME_PATTERN = "HH:mm"
"""Both patterns are digits and separators alone, the same in every language of the pages, so `Presenter`
writes them directly (a page of 300 stops shows 1,500 times; Babel's pattern formatter takes some 30 µs
each); tests/unit/test_presentation.py checks them against Babel's."""
PLAIN_NUMBERS = range(-999, 1000)
"""Whole numbers that every language of the pages writes as Python does: no group separator."""

ZONE_NAMES = {
    "Asia/Shanghai": N_("Beijing time"),
    "Asia/Chongqing": N_("Beijing time"),
    "Asia/Harbin": N_("Beijing time"),
    "PRC": N_("Beijing time"),
    "UTC": N_("UTC"),
    "Etc/UTC": N_("UTC"),
}
"""Zones whose everyday name reads better than Babel's (``China Time``); others get Babel's generic
long name (``Central European Time``)."""

_UNITS = (N_("%(n)s d"), N_("%(n)s h"), N_("%(n)s min"))


class Presenter:
    """Says values for one reader: their language (``locale``, one of `presentation.LOCALES`), its
    translations, and the moment "now" of relative times."""

    def __init__(
        self,
        locale: str,
        translations: gettext.NullTranslations,
        now: datetime,
        vocabulary: Vocabulary = VOCABULARY,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.locale = locale
        self.babel_locale = Locale.parse(locale)
        self.translations = translations
        self.now = now
        self.vocabulary = vocabulary
        self._zone_names: dict[str, str] = {}

    def gettext(self, message: str, **variables: object) -> str:
        """``message`` translated, with ``%(name)s`` placeholders filled from ``variables``."""
        text = self.translations.gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: object) -> str:
        """The singular or plural form for ``n``, translated; ``%(num)s`` is ``n``."""
        return self.translations.ngettext(singular, plural, n) % {"num": n, **variables}

    def zone_name(self, zone: str) -> str:
        """The name of a time zone as people say it: ``Beijing time`` / ``北京时间``."""
        name = self._zone_names.get(zone)
        if name is None:
            if zone in ZONE_NAMES:
                name = self.gettext(ZONE_NAMES[zone])
            else:
                name = get_timezone_name(
                    ZoneInfo(zone), "long", locale=self.babel_locale, zone_variant="generic"
                )
            self._zone_names[zone] = name
        return name

    def datetime(self, moment: datetime, zone: str, *, with_zone: bool = True) -> str:
        """``moment`` in the local time of ``zone`` (an IANA name), the zone named (`DATETIME_PATTERN`)."""
        local = _aware(moment).astimezone(ZoneInfo(zone))
        text = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
        if not with_zone:
            return text
        return self.gettext("%(time)s (%(zone)s)", time=text, zone=self.zone_name(zone))

    def time(self, moment: datetime, zone: str) -> str:
        """Only the local hour and minute of ``moment`` in ``zone`` (`TIME_PATTERN`)."""
        local = _aware(moment).astimezone(ZoneInfo(zone))
        return f"{local.hour:02d}:{local.minute:02d}"

    def date(self, value: date | datetime, zone: str | None = None) -> str:
        """A date (``Dec 7, 2026`` / ``2026年12月7日``); a datetime is first put in ``zone``'s local time."""
        if isinstance(value, datetime):
            if zone is None:
                raise ValueError("a datetime needs the zone of its place to be shown as a date")
            value = _aware(value).astimezone(ZoneInfo(zone)).date()
        return format_date(value, "medium", locale=self.babel_locale)

    def duration(self, span: timedelta) -> str:
        """A length of time in its two largest units, to the minute: ``2 h 10 min`` / ``2 小时 10 分钟``."""
        seconds = abs(span.total_seconds())
        if seconds < 60:
            return self.gettext("less than 1 min")
        days, minutes = divmod(round(seconds / 60), 24 * 60)
        hours, minutes = divmod(minutes, 60)
        counts = [(days, _UNITS[0]), (hours, _UNITS[1]), (minutes, _UNITS[2])]
        first = next(index for index, (count, _) in enumerate(counts) if count)
        parts = [
            self.gettext(message, n=self.number(count))
            for count, message in counts[first : first + 2]
            if count
        ]
        return " ".join(parts)

    def relative(self, moment: datetime) -> str:
        """How far ``moment`` is from now: ``in 2 h 10 min`` / ``2 小时 10 分钟后``, ``15 min ago`` /
        ``15 分钟前``, ``just now`` / ``刚刚`` within a minute."""
        delta = _aware(moment) - self.now
        if abs(delta) < timedelta(minutes=1):
            return self.gettext("just now")
        if delta > timedelta(0):
            return self.gettext("in %(duration)s", duration=self.duration(delta))
        return self.gettext("%(duration)s ago", duration=self.duration(delta))

    def number(self, value: float | Decimal, *, digits: int | None = None) -> str:
        """A number with the reader's separators; ``digits`` fixes the decimals."""
        if digits is None:
            if type(value) is int and value in PLAIN_NUMBERS:
                return str(value)
            return format_decimal(value, locale=self.babel_locale)
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.babel_locale)

    def percent(self, fraction: float) -> str:
        """A fraction as a percentage: ``0.25`` → ``25%``."""
        return format_percent(fraction, locale=self.babel_locale)

    def words(self, kind: str, code: str | None) -> str:
        """A code in words: ``words("role", "warehouse")`` → ``Warehouse staff`` / ``仓库人员``. A code
        without words shows as itself, its dashes and underscores as spaces."""
        if code is None:
            return ""
        message = self.vocabulary.message(kind, str(code))
        if message is None:
            return str(code).replace("_", " ").replace("-", " ")
        return self.gettext(message)


def instant(value: object) -> datetime | None:
    """A moment as records keep it (an aware datetime, or ISO 8601 text with its offset, as events'
    details and checkpoints hold times) as an aware datetime; None for anything else."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in time; the service's times are aware (UTC)")
    return moment
