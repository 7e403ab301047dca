"""``fetch_prices``: download day-ahead prices from the Energy-Charts or SMARD APIs, with a cache."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from tsgan.atomic import write_atomic
from tsgan.data.energy_charts import read_json_text
from tsgan.data.errors import DataError, NetworkError
from tsgan.data.parsing import TZ, Part
from tsgan.data.prices import describe_resolution, merge_parts

logger = logging.getLogger(__name__)

ENERGY_CHARTS_URL = "https://api.energy-charts.info"
SMARD_URL = "https://www.smard.de/app"
SOURCES = ("energy-charts", "smard")
# SMARD chart_data filter ids of the day-ahead price series, by bidding zone.
SMARD_FILTERS = {
    "DE-LU": 4169,
    "AT": 4170,
    "BE": 4996,
    "NO2": 4997,
    "DK1": 252,
    "DK2": 253,
    "FR": 254,
    "IT-North": 255,
    "NL": 256,
    "PL": 257,
    "CH": 259,
    "SI": 260,
    "CZ": 261,
    "HU": 262,
    "DE-LU-neighbours": 5078,
}
USER_AGENT = "tsgan (Python requests)"


def fetch_prices(
    *,
    zone: str = "DE-LU",
    start: str | dt.date,
    end: str | dt.date,
    source: str = "energy-charts",
    cache_dir: str | os.PathLike | None = None,
    base_url: str | None = None,
    chunk_days: int = 31,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> pd.Series:
    """Download day-ahead prices for local delivery days ``start..end`` (inclusive).

    Energy-Charts (``/price?bzn=ZONE&start=...&end=...``) is asked in chunks of
    ``chunk_days`` days; SMARD's chart_data API serves weekly files listed in an index. Each
    request has a timeout and is retried (urllib3's ``Retry``) on connection errors,
    timeouts, HTTP 429 and 5xx, waiting as a ``Retry-After`` header asks or with exponential
    backoff; each retry is logged as a warning as it happens. A body cut short, or a chunk
    that lacks days, is asked once more. Chunks that lie wholly in the past are cached in ``cache_dir`` as the API's own
    payload, written to a temporary file and renamed into place only when complete and valid.

    Args:
        zone: bidding zone (``"DE-LU"``, ``"AT"``, ``"FR"``...).
        start: first delivery day, ``YYYY-MM-DD``.
        end: last delivery day, ``YYYY-MM-DD``.
        source: ``"energy-charts"`` or ``"smard"``.
        cache_dir: where to keep downloaded chunks (no cache when None).
        base_url: the API root, for mirrors and tests (defaults to the public API).
        chunk_days: days per Energy-Charts request.
        timeout: seconds to wait for one response.
        retries: further tries after a failed request.
        backoff: urllib3's backoff factor: waits of 0, 2·backoff, 4·backoff... seconds.
        progress: called with one line per chunk fetched (or read from the cache).

    Returns:
        Prices like :func:`load_prices` returns them, limited to the requested days.

    Raises:
        NetworkError: the API cannot be reached, or keeps failing, after the retries.
        DataError: the API refuses the request (HTTP 4xx) or sends bad data.

    Example:
        >>> prices = fetch_prices(start="2024-01-01", end="2024-01-31",
        ...                       cache_dir="data/cache")             # doctest: +SKIP
    """
    if source not in SOURCES:
        raise DataError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    first, last = _day(start, "start"), _day(end, "end")
    if last < first:
        raise DataError(f"end {last} is before start {first}")
    cache = Path(cache_dir) / source / zone if cache_dir is not None else None
    client = _Client(timeout=timeout, retries=retries, backoff=backoff)
    if source == "energy-charts":
        parts = _energy_charts(
            client, base_url or ENERGY_CHARTS_URL, zone, first, last, chunk_days, cache, progress
        )
    else:
        parts = _smard(client, base_url or SMARD_URL, zone, first, last, cache, progress=progress)
    series = merge_parts(parts) if parts else pd.Series(dtype="float64")
    local_day = series.index.tz_localize(None).normalize() if len(series) else series.index
    series = series[(local_day >= pd.Timestamp(first)) & (local_day <= pd.Timestamp(last))]
    if series.empty:
        raise DataError(f"{source}: no {zone} prices for {first}..{last}")
    series.attrs = {
        "format": f"{source} API",
        "zone": zone,
        "zones": [zone],
        "sources": [base_url or (ENERGY_CHARTS_URL if source == "energy-charts" else SMARD_URL)],
        "resolution": describe_resolution(series, where=source),
        "notes": [],
    }
    return series


def _day(value: str | dt.date, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DataError(f"{name} {value!r} is not a date like 2024-01-31") from None


def _today() -> dt.date:
    return pd.Timestamp.now(tz=TZ).date()


class _Client:
    """GET with a timeout and urllib3's ``Retry`` (connection errors, timeouts, HTTP 429 and
    5xx, ``Retry-After`` honoured), each retry logged as a warning as it happens; returns
    the body only when it arrived whole."""

    def __init__(self, *, timeout: float, retries: int, backoff: float) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self.retries = retries
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        retry = _shown_retry()(
            total=retries,
            backoff_factor=backoff,
            status_forcelist=RETRY_STATUS,
            allowed_methods=("GET",),
            respect_retry_after_header=True,
            raise_on_status=False,  # the last answer comes back: its status is the reason
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def get(self, url: str) -> bytes:
        import requests

        host = urllib.parse.urlsplit(url).netloc
        tries = f"after {self.retries + 1} tries"
        advice = "check the network, or load a downloaded file with load_prices"
        try:
            response = self.session.get(url, timeout=self.timeout)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            raise DataError(f"{url}: the answer was cut short") from None
        except requests.exceptions.RequestException as err:
            reason = _reason(err)
            raise NetworkError(
                f"cannot download from {host} {tries} ({reason}); {advice}"
            ) from None
        if response.status_code in RETRY_STATUS:
            reason = f"HTTP {response.status_code} {response.reason}"
            raise NetworkError(f"cannot download from {host} {tries} ({reason}); {advice}")
        if response.status_code >= 400:
            raise DataError(f"{url}: HTTP {response.status_code} {response.reason}")
        return response.content


RETRY_STATUS = (429, 500, 502, 503, 504)  # answers worth asking again


def _shown_retry():
    """urllib3's ``Retry``, logging each retry (what failed, and the wait) as it happens."""
    from urllib3.util.retry import Retry

    class ShownRetry(Retry):
        def increment(self, method=None, url=None, response=None, error=None, _pool=None, **kw):
            new = super().increment(method, url, response, error, _pool, **kw)  # raises when spent
            after = new.get_retry_after(response) if response is not None else None
            wait = after if after is not None else new.get_backoff_time()
            what = f"HTTP {response.status}" if response is not None else _reason(error)
            host = f"{_pool.host}:{_pool.port}" if _pool is not None else ""
            left = f"{new.total} more" if new.total is not None else "more"
            logger.warning("retrying %s%s in %.1f s (%s; %s to go)", host, url, wait, what, left)
            return new

    return ShownRetry


def _reason(err: BaseException | None) -> str:
    """What failed, in a few words: the innermost reason of requests' and urllib3's
    wrapped errors, without their object addresses."""
    while err is not None and getattr(err, "reason", None) is not None and err.reason is not err:
        err = err.reason
    if err is not None and err.args and isinstance(err.args[0], BaseException):
        return _reason(err.args[0])
    if err is None:
        return "no answer"
    text = str(err)
    text = re.sub(r"<[^>]*>: ", "", text)  # "<HTTPConnection object at 0x..>: Failed to..."
    text = re.sub(r"^\w*Connection\(host=[^)]*\): ", "", text)
    text = re.sub(r"^Failed to establish a new connection: (\[Errno -?\d+\] )?", "", text)
    text = re.sub(r"\(Caused by .*", "", text).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def missing_days(part: Part, first: dt.date, last: dt.date) -> list[dt.date]:
    """The local delivery days of ``first..last`` for which a chunk holds no price.

    Example:
        >>> import numpy as np
        >>> stamps = pd.date_range("2024-01-01", periods=24, freq="h", tz=TZ).as_unit("ns").asi8
        >>> part = Part(Path("x"), "test", stamps, np.ones(24), np.arange(24))
        >>> missing_days(part, dt.date(2024, 1, 1), dt.date(2024, 1, 2))
        [datetime.date(2024, 1, 2)]
    """
    stamps = pd.to_datetime(np.asarray(part.utc_ns)[~np.isnan(part.prices)], utc=True)
    have = set(stamps.tz_convert(TZ).date)
    days = pd.date_range(first, last, freq="D").date
    return [d for d in days if d not in have]


def _cached_get(
    client: _Client,
    url: str,
    cache_file: Path | None,
    *,
    complete: bool,
    days: tuple[dt.date, dt.date] | None = None,
) -> Part:
    """One chunk: from the cache if there, else downloaded, checked, then cached.

    With ``days``, a chunk must hold prices for each of them: a partial answer is fetched
    once more, and if it is still partial it is an error, never cached (a cached file
    that lacks days, from an older tsgan, is fetched again).
    """

    def holes(part: Part) -> list[dt.date]:
        return missing_days(part, *days) if days is not None else []

    if cache_file is not None and cache_file.exists():
        part = read_json_text(cache_file, cache_file.read_text(encoding="utf-8"))
        if not holes(part):
            return part
    try:
        body = client.get(url)
        part = read_json_text(Path(url), body.decode("utf-8"))
        if holes(part) and complete:
            raise DataError("partial")
    except NetworkError:
        raise  # already retried
    except (DataError, UnicodeDecodeError):
        body = client.get(url)  # once more: a cut connection can give a truncated body
        part = read_json_text(Path(url), body.decode("utf-8", errors="replace"))
    gone = holes(part)
    if gone and complete:
        shown = ", ".join(map(str, gone[:3])) + (" …" if len(gone) > 3 else "")
        raise DataError(
            f"{url}: the answer has no prices for {len(gone)} of the requested days ({shown}); "
            "not cached, try again later"
        )
    if cache_file is not None and complete:
        write_atomic(cache_file, body)
    return part


def _energy_charts(
    client: _Client,
    base: str,
    zone: str,
    first: dt.date,
    last: dt.date,
    chunk_days: int,
    cache: Path | None,
    progress: Callable[[str], None] | None = None,
) -> list[Part]:
    parts = []
    a = first
    chunks = -(-((last - first).days + 1) // chunk_days)
    while a <= last:
        b = min(a + dt.timedelta(days=chunk_days - 1), last)
        query = urllib.parse.urlencode({"bzn": zone, "start": a.isoformat(), "end": b.isoformat()})
        url = f"{base.rstrip('/')}/price?{query}"
        cache_file = cache / f"{a}_{b}.json" if cache is not None else None
        logger.info("fetching %s", url)
        parts.append(_cached_get(client, url, cache_file, complete=b < _today(), days=(a, b)))
        if progress is not None:
            progress(f"energy-charts {zone} {a}..{b} ({len(parts)}/{chunks})")
        a = b + dt.timedelta(days=1)
    return parts


def _smard(
    client: _Client,
    base: str,
    zone: str,
    first: dt.date,
    last: dt.date,
    cache: Path | None,
    resolution: str = "hour",
    progress: Callable[[str], None] | None = None,
) -> list[Part]:
    if zone not in SMARD_FILTERS:
        raise DataError(
            f"smard: no price series for zone {zone!r}; zones: {', '.join(SMARD_FILTERS)}"
        )
    root = f"{base.rstrip('/')}/chart_data/{SMARD_FILTERS[zone]}/{zone}"
    index_url = f"{root}/index_{resolution}.json"
    try:
        stamps = sorted(json.loads(client.get(index_url))["timestamps"])
    except (ValueError, KeyError, TypeError):
        raise DataError(
            f"{index_url}: not a SMARD index (expected {{'timestamps': [...]}})"
        ) from None
    lo = pd.Timestamp(first).tz_localize(TZ).value // 1_000_000
    hi = (pd.Timestamp(last) + pd.Timedelta(days=1)).tz_localize(TZ).value // 1_000_000
    today_ms = pd.Timestamp(_today()).tz_localize(TZ).value // 1_000_000
    parts = []
    for i, t in enumerate(stamps):
        t_next = stamps[i + 1] if i + 1 < len(stamps) else None
        if t >= hi or (t_next is not None and t_next <= lo):
            continue
        name = f"{SMARD_FILTERS[zone]}_{zone}_{resolution}_{t}.json"
        cache_file = cache / name if cache is not None else None
        complete = t_next is not None and t_next <= today_ms
        parts.append(_cached_get(client, f"{root}/{name}", cache_file, complete=complete))
        if progress is not None:
            week = pd.Timestamp(t, unit="ms", tz="UTC").tz_convert(TZ)
            progress(f"smard {zone} week of {week:%Y-%m-%d} ({len(parts)} fetched)")
    return parts
