"""The login throttle's rules: what an address counts as, how subjects are named, when to retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.settings import Settings
from inventory.accounts.login_limits import (
    UNKNOWN_ADDRESS,
    WINDOW,
    Counter,
    LoginLimits,
    TooManySignInAttempts,
    address_key,
    retry_after_s,
    window_expired_before,
)
from inventory.errors import Throttled


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("/run/spareline.sock", "/run/spareline.sock"),
        ("", UNKNOWN_ADDRESS),
        (None, UNKNOWN_ADDRESS),
    ],
)
def test_what_an_address_counts_as(host, key):
    assert address_key(host) == key


def test_subjects_are_keyed_hashes_of_counter_and_value():
    limits = LoginLimits(per_address=3, per_username=2, subject_key=b"k" * 32)
    other_key = LoginLimits(per_address=3, per_username=2, subject_key=b"j" * 32)
    subject = limits.subject(Counter.USERNAME, "li.wei")
    assert len(subject) == 64
    assert "li.wei" not in subject
    assert subject == limits.subject(Counter.USERNAME, "li.wei")
    assert subject != limits.subject(Counter.ADDRESS, "li.wei")
    assert subject != limits.subject(Counter.USERNAME, "li.wei ")
    assert subject != other_key.subject(Counter.USERNAME, "li.wei")
    assert (limits.limit(Counter.ADDRESS), limits.limit(Counter.USERNAME)) == (3, 2)


def test_every_process_of_a_deployment_names_subjects_alike():
    """The key comes from SECRET_KEY, which the processes of one deployment share."""
    one, two = (Settings(_env_file=None, secret_key="s" * 40) for _ in range(2))
    other = Settings(_env_file=None, secret_key="t" * 40)
    assert one.login_limits() == two.login_limits()
    assert one.login_limits().subject_key != other.login_limits().subject_key
    defaults = one.login_limits()
    assert (defaults.per_address, defaults.per_username) == (30, 10)


def test_retry_after_counts_whole_seconds_to_the_end_of_the_window():
    opened = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert timedelta(minutes=1) == WINDOW
    assert retry_after_s(opened, opened) == 60
    assert retry_after_s(opened, opened + timedelta(seconds=20)) == 40
    assert retry_after_s(opened, opened + timedelta(seconds=20, milliseconds=1)) == 40
    assert retry_after_s(opened, opened + timedelta(seconds=59, microseconds=1)) == 1
    assert retry_after_s(opened, opened + timedelta(seconds=75)) == 1
    assert window_expired_before(opened + WINDOW) == opened


def test_the_refusal_is_worded_for_people():
    by_address = TooManySignInAttempts(Counter.ADDRESS, retry_after_s=42)
    assert isinstance(by_address, Throttled)
    assert by_address.message == (
        "Too many sign-in attempts from your network address. Please wait 42 seconds and try again."
    )
    assert by_address.details == {"retry_after_s": 42, "counter": "address"}
    by_username = TooManySignInAttempts(Counter.USERNAME, retry_after_s=0)
    assert by_username.retry_after_s == 1
    assert by_username.message == (
        "Too many sign-in attempts for this username. Please wait 1 second and try again."
    )
