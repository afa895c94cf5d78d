"""Road travel matrices from an OSRM server, with the estimate of `geo.travel` as the fallback.

Callers take a source from `matrix_source` and ask it `source.matrix(points)`, whether or not a server is
configured; `SourceMatrix` makes a source the picklable matrix function that the solver processes use.
OSRM's Table service answers with the durations and distances of the fastest routes; when it cannot be
used (down, slow, an error, an unroutable pair, a malformed answer, too many points) the whole matrix
comes from `geo.travel.travel_matrix` and a warning names the reason. Plain Python: an HTTP client, no
web framework or database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
import structlog

from geo.travel import DEFAULT_PROFILE, Point, SpeedProfile, travel_matrix

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TravelMatrix:
    """Road distances in whole metres and travel times in whole seconds (rounded up) between points.

    ``metres[i][j]`` and ``seconds[i][j]`` go from ``points[i]`` to ``points[j]``, with a zero diagonal.
    The estimate is symmetric; OSRM's values need not be (one-way streets, turn restrictions).

    Attributes:
        source: ``"osrm"`` when every cell came from the server, ``"estimate"`` otherwise.
        reason: why a configured server was not used; ``None`` when it was, or when none is configured.
    """

    metres: list[list[int]]
    seconds: list[list[int]]
    source: Literal["osrm", "estimate"]
    reason: str | None = None


class MatrixSource(Protocol):
    """Anything that turns points into a `TravelMatrix`."""

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        """Distances and times between all ``points``."""
        ...


@dataclass(frozen=True, slots=True)
class EstimateMatrix:
    """The great-circle estimate of `geo.travel`, for when no OSRM server is configured."""

    profile: SpeedProfile = DEFAULT_PROFILE

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        """`travel_matrix` of ``points``."""
        return _estimate(points, self.profile, reason=None)


@dataclass(frozen=True, slots=True)
class OsrmMatrix:
    """OSRM's Table service at ``base_url``, falling back to the estimate with ``fallback``.

    Attributes:
        base_url: the server, e.g. ``http://osrm:5000``; requests go to ``{base_url}/table/v1/{profile}/...``.
        profile: the OSRM profile name in the URL.
        timeout_s: the limit for each HTTP request (connect, send, wait, read).
        fallback: the speed profile of the estimate used when OSRM can't be.
        max_points: more points than this are not sent at all: the estimate is used.
        max_table_size: the server's ``--max-table-size``. OSRM refuses a request of more than its square
            in sources x destinations cells, so a larger matrix is asked for in blocks of at most
            ``max_table_size`` sources by ``max_table_size`` destinations.
    """

    base_url: str
    profile: str = "driving"
    timeout_s: float = 5
    fallback: SpeedProfile = DEFAULT_PROFILE
    max_points: int = 500
    max_table_size: int = 100

    def __post_init__(self) -> None:
        if not self.base_url.strip():
            raise ValueError("base_url must not be empty")
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise ValueError(f"timeout_s must be a positive number, got {self.timeout_s}")
        if self.max_points < 1 or self.max_table_size < 1:
            raise ValueError("max_points and max_table_size must be at least 1")

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        """The OSRM matrix of ``points``, or the estimate (with the reason, logged) if that fails.

        Fewer than two points need no request: their all-zero matrix is the estimate's.
        """
        if len(points) < 2:
            return _estimate(points, self.fallback, reason=None)
        if len(points) > self.max_points:
            return self._fall_back(points, f"{len(points)} points exceed max_points={self.max_points}")
        try:
            metres, seconds = self._fetch(points)
        except _Unavailable as exc:
            return self._fall_back(points, str(exc))
        return TravelMatrix(metres, seconds, "osrm")

    def _fall_back(self, points: Sequence[Point], reason: str) -> TravelMatrix:
        log.warning("osrm_fallback", reason=reason, points=len(points), base_url=self.base_url)
        return _estimate(points, self.fallback, reason)

    def _fetch(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]:
        size = len(points)
        metres = [[0] * size for _ in range(size)]
        seconds = [[0] * size for _ in range(size)]
        blocks = [
            range(start, min(start + self.max_table_size, size))
            for start in range(0, size, self.max_table_size)
        ]
        try:
            with httpx.Client(timeout=self.timeout_s) as client:
                for rows in blocks:
                    for columns in blocks:
                        durations, distances = self._table(client, points, rows, columns)
                        _fill(rows, columns, durations, distances, metres, seconds)
        except httpx.TimeoutException as exc:
            raise _Unavailable(f"timed out after {self.timeout_s:g} s ({type(exc).__name__})") from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _Unavailable(f"request failed: {type(exc).__name__}: {exc}") from exc
        return metres, seconds

    def _table(
        self, client: httpx.Client, points: Sequence[Point], rows: range, columns: range
    ) -> tuple[list[list[Any]], list[list[Any]]]:
        """One Table request: ``rows`` as sources, ``columns`` as destinations (indices into ``points``)."""
        query = "annotations=duration,distance"
        if rows == columns:
            indices = list(rows)
        else:
            indices = [*rows, *columns]
            sources = ";".join(str(k) for k in range(len(rows)))
            destinations = ";".join(str(k) for k in range(len(rows), len(indices)))
            query += f"&sources={sources}&destinations={destinations}"
        coordinates = ";".join(f"{points[k].longitude:.6f},{points[k].latitude:.6f}" for k in indices)
        url = f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coordinates}?{query}"
        response = client.get(url)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            detail = _error_detail(body)
            raise _Unavailable(f"HTTP {response.status_code}" + (f": {detail}" if detail else ""))
        if not isinstance(body, dict):
            raise _Unavailable("response is not a JSON object")
        if body.get("code") != "Ok":
            raise _Unavailable(f"OSRM answered {_error_detail(body)}")
        return (
            _grid(body, "durations", len(rows), len(columns)),
            _grid(body, "distances", len(rows), len(columns)),
        )


@dataclass(frozen=True, slots=True)
class SourceMatrix:
    """A `MatrixSource` as the ``matrix`` function of `routing.assembly` (points -> metres, seconds).

    An object rather than a closure, so that it pickles into the solver processes along with its source.
    """

    source: MatrixSource

    def __call__(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]:
        result = self.source.matrix(points)
        return result.metres, result.seconds


def matrix_source(
    osrm_url: str | None, *, timeout_s: float = 5, profile: SpeedProfile = DEFAULT_PROFILE
) -> MatrixSource:
    """OSRM at ``osrm_url`` with the estimate as fallback, or the estimate alone when no URL is set."""
    if osrm_url is None or not osrm_url.strip():
        return EstimateMatrix(profile)
    return OsrmMatrix(osrm_url.strip(), timeout_s=timeout_s, fallback=profile)


class _Unavailable(Exception):
    """OSRM gave no usable answer; the message is the reason."""


def _estimate(points: Sequence[Point], profile: SpeedProfile, reason: str | None) -> TravelMatrix:
    metres, seconds = travel_matrix(points, profile)
    return TravelMatrix(metres, seconds, "estimate", reason)


def _error_detail(body: object) -> str:
    if not isinstance(body, dict):
        return ""
    code, message = body.get("code"), body.get("message")
    return f"code {code!r}" + (f": {message}" if message else "")


def _grid(body: dict[str, Any], key: str, rows: int, columns: int) -> list[list[Any]]:
    grid = body.get(key)
    if not (
        isinstance(grid, list)
        and len(grid) == rows
        and all(isinstance(row, list) and len(row) == columns for row in grid)
    ):
        raise _Unavailable(f"malformed response: {key} is not a {rows}x{columns} table")
    return grid


def _fill(
    rows: range,
    columns: range,
    durations: list[list[Any]],
    distances: list[list[Any]],
    metres: list[list[int]],
    seconds: list[list[int]],
) -> None:
    """Copy one block into the full matrices: distances rounded, durations rounded up."""
    for r, i in enumerate(rows):
        for c, j in enumerate(columns):
            duration, distance = durations[r][c], distances[r][c]
            if duration is None or distance is None:
                raise _Unavailable(f"no route from point {i} to point {j}")
            if not (_is_length(duration) and _is_length(distance)):
                raise _Unavailable(f"malformed response: cell {i}->{j} is not a non-negative number")
            if i != j:
                seconds[i][j] = math.ceil(duration)
                metres[i][j] = round(distance)


def _is_length(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < math.inf
