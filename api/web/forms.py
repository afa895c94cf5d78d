"""Reading a page's form: its fields checked by a pydantic model, and what is wrong, per field, in the
reader's language, so that the page can show the form again with the values as sent and each error beside
its field (the ``field()`` macro), answered 422.

Models for forms take text as it comes from the browser (the model is checked in lax mode: ``"3"`` is a
valid int). A model's own checks (``field_validator``) raise ``ValueError`` with a message id marked with
`presentation.N_`, which is translated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from litestar import Request
from pydantic import BaseModel, ValidationError

from api.idempotency import CSRF_FIELD, FORM_FIELD
from api.web.locale import presenter_of
from presentation import N_

Model = TypeVar("Model", bound=BaseModel)

ERROR_WORDS = {
    "missing": N_("Required"),
    "string_too_short": N_("Required"),
    "string_too_long": N_("Too long"),
    "int_parsing": N_("Enter a whole number"),
    "int_from_float": N_("Enter a whole number"),
    "float_parsing": N_("Enter a number"),
    "decimal_parsing": N_("Enter a number"),
    "greater_than": N_("Too small"),
    "greater_than_equal": N_("Too small"),
    "less_than": N_("Too large"),
    "less_than_equal": N_("Too large"),
    "literal_error": N_("Choose one of the options"),
    "enum": N_("Choose one of the options"),
    "date_parsing": N_("Enter a date"),
    "date_from_datetime_parsing": N_("Enter a date"),
    "datetime_parsing": N_("Enter a date and time"),
    "datetime_from_date_parsing": N_("Enter a date and time"),
}
"""Pydantic's error types in words; any other reads "Not valid"."""


@dataclass
class Form(Generic[Model]):
    """A form as sent: its values, the model they make (None when they make none), and the errors."""

    values: dict[str, str]
    data: Model | None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.data is not None


async def read_form(request: Request[Any, Any, Any], model: type[Model]) -> Form[Model]:
    """The form of ``request`` checked by ``model``; empty fields count as not given."""
    form = await request.form()
    values = {name: form.get(name) for name in form if name not in (CSRF_FIELD, FORM_FIELD)}
    given = {name: value for name, value in values.items() if value not in ("", None)}
    try:
        return Form(values=values, data=model.model_validate(given, strict=False))
    except ValidationError as exc:
        presenter = presenter_of(request)
        errors: dict[str, str] = {}
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "form"
            if error["type"] == "value_error":
                message = str(error.get("ctx", {}).get("error", error["msg"]))
            else:
                message = ERROR_WORDS.get(error["type"], N_("Not valid"))
            errors.setdefault(name, presenter.gettext(message))
        return Form(values=values, data=None, errors=errors)
