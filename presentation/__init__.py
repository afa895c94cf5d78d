"""How the web pages say things: times in the local time of their place, dates, relative times,
durations, numbers and codes in words, in Simplified Chinese or English.

Plain Python on Babel: no web framework, no database, no service. The pages build one `Presenter`
per request (`api.web.locale`) and use it in Python and, through Jinja filters, in templates.
"""

from presentation.formatting import Presenter, instant
from presentation.i18n import (
    DEFAULT_LOCALE,
    LOCALES,
    Catalogues,
    html_lang,
    load_catalogues,
    negotiate,
    normalise,
)
from presentation.words import N_, VOCABULARY, Vocabulary

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "N_",
    "VOCABULARY",
    "Catalogues",
    "Presenter",
    "Vocabulary",
    "html_lang",
    "instant",
    "load_catalogues",
    "negotiate",
    "normalise",
]
