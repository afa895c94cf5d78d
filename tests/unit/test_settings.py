"""Settings from the environment; production refuses a missing or weak secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import DEVELOPMENT_SECRET, Settings


def test_defaults_are_for_development(monkeypatch):
    for name in ("ENVIRONMENT", "DATABASE_URL", "SECRET_KEY", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("var/spareline.sqlite3")
    assert settings.json_logs is False


def test_values_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("MAX_PAGE_SIZE", "100")
    monkeypatch.setenv("DEMO_PASSWORD", "s3cret")
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.max_page_size == 100
    assert settings.demo_password.get_secret_value() == "s3cret"


@pytest.mark.parametrize("secret", [None, DEVELOPMENT_SECRET, "short"])
def test_production_refuses_to_start_without_a_real_secret(monkeypatch, secret):
    monkeypatch.setenv("ENVIRONMENT", "production")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None)


def test_production_with_a_real_secret_logs_json(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert Settings(_env_file=None).json_logs is True


def test_create_app_refuses_production_without_secret(monkeypatch):
    from api.app import create_app

    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValidationError):
        create_app()


def test_bad_values_are_refused():
    with pytest.raises(ValidationError):
        Settings(_env_file=None, default_page_size=1000, max_page_size=10)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, environment="staging")


def test_calendar_overrides_come_from_a_json_file(tmp_path):
    from datetime import date

    path = tmp_path / "calendar.json"
    path.write_text('{"cn": {"holidays": ["2027-01-01"], "working_days": ["2027-02-07"]}}')
    overrides = Settings(_env_file=None, calendar_overrides_file=path).calendar_overrides()
    assert overrides["CN"].holidays == frozenset({date(2027, 1, 1)})
    assert overrides["CN"].working_days == frozenset({date(2027, 2, 7)})
    path.write_text('{"CN": {"holydays": []}}')
    with pytest.raises(ValueError, match="holydays"):
        Settings(_env_file=None, calendar_overrides_file=path).calendar_overrides()


def test_overrides_in_use_reach_calendar_for():
    from datetime import date

    from inventory.calendars import CalendarOverrides, calendar_for, using_overrides

    day = date(2026, 12, 1)
    assert calendar_for("CN", "Asia/Shanghai").is_working_day(day)
    with using_overrides({"cn": CalendarOverrides(holidays=frozenset({day}))}):
        assert not calendar_for("CN", "Asia/Shanghai").is_working_day(day)
    assert calendar_for("CN", "Asia/Shanghai").is_working_day(day)


def test_the_map_defaults_to_the_offline_basemap_in_wgs84():
    settings = Settings(_env_file=None)
    assert settings.map_tile_url == ""
    assert settings.map_attributes() == {
        "data-tile-url": "",
        "data-tile-attribution": "",
        "data-tile-max-zoom": "18",
        "data-tile-subdomains": "a,b,c",
        "data-coord-system": "wgs84",
    }


def test_map_tiles_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MAP_TILE_URL", " https://t{s}.tiles.example.cn/img/{z}/{x}/{y}.png?tk=abc ")
    monkeypatch.setenv("MAP_TILE_ATTRIBUTION", "Example tiles, GS(2026)1234")
    monkeypatch.setenv("MAP_TILE_SUBDOMAINS", "0, 1,2")
    monkeypatch.setenv("MAP_TILE_MAX_ZOOM", "16")
    monkeypatch.setenv("MAP_COORD_SYSTEM", "gcj02")
    settings = Settings(_env_file=None)
    assert settings.map_tile_url == "https://t{s}.tiles.example.cn/img/{z}/{x}/{y}.png?tk=abc"
    assert settings.map_tile_subdomains == ["0", "1", "2"]
    assert settings.map_attributes()["data-tile-subdomains"] == "0,1,2"
    assert settings.map_attributes()["data-coord-system"] == "gcj02"
    assert settings.map_tile_max_zoom == 16


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"map_tile_url": "ftp://tiles.example.cn/{z}/{x}/{y}.png"}, "http"),
        ({"map_tile_url": "/tiles/{z}/{x}/{y}.png"}, "http"),
        ({"map_tile_url": "https://tiles.example.cn/{z}/{x}.png"}, r"\{z\}, \{x\} and \{y\}"),
        ({"map_tile_url": "https://tiles.example.cn/tile.png"}, r"\{z\}, \{x\} and \{y\}"),
        ({"map_tile_url": "https://tiles.example.cn/{z}/{x}/{y}/{style}.png"}, "unknown placeholder"),
        ({"map_tile_url": "https://{s}.example.cn/{z}/{x}/{y}.png", "map_tile_subdomains": []}, "SUBDOMAINS"),
        ({"map_tile_subdomains": ["a.b"]}, "host name label"),
        ({"map_coord_system": "bd09"}, "map_coord_system"),
        ({"map_tile_max_zoom": 30}, "map_tile_max_zoom"),
    ],
)
def test_bad_map_settings_are_refused(values, message):
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **values)


def test_tiles_in_production_name_their_provider(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    tiles = "https://tiles.example.cn/{z}/{x}/{-y}.png"
    with pytest.raises(ValidationError, match="MAP_TILE_ATTRIBUTION"):
        Settings(_env_file=None, map_tile_url=tiles)
    assert Settings(_env_file=None, map_tile_url=tiles, map_tile_attribution="Example, GS(2026)1234")
    assert Settings(_env_file=None).map_tile_url == ""
