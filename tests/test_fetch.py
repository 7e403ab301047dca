"""fetch_prices against a real HTTP server on 127.0.0.1 serving the recorded API payloads."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

import tsgan.data.fetch as fetch_module
from tsgan import DataError, fetch_prices, load_prices


class Api:
    """What the fake API should do next, and what it was asked."""

    def __init__(self, folder):
        self.folder = folder
        self.requests: list[str] = []
        self.fail_next = 0  # answer 503 this many times
        self.truncate_next = 0  # cut this many bodies short
        self.partial_next = 0  # answer with the first day of the chunk only, this many times

    def energy_charts(self, query: dict) -> dict:
        start = dt.date.fromisoformat(query["start"][0])
        end = dt.date.fromisoformat(query["end"][0])
        seconds, prices = [], []
        if self.partial_next:
            self.partial_next -= 1
            end = start
        day = start
        while day <= end:
            payload = json.loads((self.folder / f"{day}.json").read_text())
            seconds += payload["unix_seconds"]
            prices += payload["price"]
            day += dt.timedelta(days=1)
        return {
            "license_info": "CC BY 4.0",
            "unix_seconds": seconds,
            "price": prices,
            "unit": "EUR / MWh",
        }

    def smard(self, path: str) -> dict:
        weeks = pd.date_range("2023-12-25", "2024-12-30", freq="7D", tz="Europe/Berlin")
        if path.endswith("index_hour.json"):
            return {"timestamps": [int(t.value // 1_000_000) for t in weeks]}
        ms = int(path.rsplit("_", 1)[1].removesuffix(".json"))
        start = pd.Timestamp(ms, unit="ms", tz="UTC").tz_convert("Europe/Berlin")
        days = pd.date_range(start.tz_localize(None), periods=7, freq="D")
        days = [d for d in days if (self.folder / f"{d:%Y-%m-%d}.json").exists()]
        prices = load_prices([self.folder / f"{d:%Y-%m-%d}.json" for d in days])
        series = [[int(t.value // 1_000_000), float(p)] for t, p in prices.items()]
        return {"meta_data": {"version": 1}, "series": [*series, [series[-1][0] + 3_600_000, None]]}


def make_handler(api: Api):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def do_GET(self):
            api.requests.append(self.path)
            if api.fail_next:
                api.fail_next -= 1
                self.send_error(503, "busy")
                return
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/price":
                body = json.dumps(api.energy_charts(urllib.parse.parse_qs(url.query))).encode()
            elif url.path.startswith("/chart_data/4169/DE-LU/"):
                body = json.dumps(api.smard(url.path)).encode()
            else:
                self.send_error(404, "no such endpoint")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if api.truncate_next:
                api.truncate_next -= 1
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def api(shared_data):
    state = Api(shared_data / "energy_charts_de_lu")
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()


def expected(shared_data, start: str, end: str) -> pd.Series:
    days = pd.date_range(start, end, freq="D")
    return load_prices([shared_data / "energy_charts_de_lu" / f"{d:%Y-%m-%d}.json" for d in days])


def test_energy_charts_in_chunks_and_cached(api, shared_data, tmp_path):
    got = fetch_prices(
        start="2024-01-01", end="2024-03-15", base_url=api.url, cache_dir=tmp_path, chunk_days=31
    )
    assert len(api.requests) == 3
    assert api.requests[0] == "/price?bzn=DE-LU&start=2024-01-01&end=2024-01-31"
    pd.testing.assert_series_equal(
        got, expected(shared_data, "2024-01-01", "2024-03-15"), check_freq=False
    )
    assert got.attrs["zone"] == "DE-LU" and got.attrs["resolution"] == "60min"
    cached = sorted(p.name for p in (tmp_path / "energy-charts" / "DE-LU").iterdir())
    assert cached == [
        "2024-01-01_2024-01-31.json",
        "2024-02-01_2024-03-02.json",
        "2024-03-03_2024-03-15.json",
    ]
    again = fetch_prices(
        start="2024-01-01", end="2024-03-15", base_url=api.url, cache_dir=tmp_path, chunk_days=31
    )
    assert len(api.requests) == 3  # all from the cache
    pd.testing.assert_series_equal(again, got)


def test_retries_with_backoff(api, shared_data):
    api.fail_next = 2
    got = fetch_prices(start="2024-10-26", end="2024-10-28", base_url=api.url, backoff=0.01)
    assert len(api.requests) == 3
    assert len(got) == 24 + 25 + 24


def test_truncated_body_is_retried_and_never_cached(api, shared_data, tmp_path):
    api.truncate_next = 1
    got = fetch_prices(
        start="2024-05-01", end="2024-05-02", base_url=api.url, cache_dir=tmp_path, backoff=0.01
    )
    pd.testing.assert_series_equal(
        got, expected(shared_data, "2024-05-01", "2024-05-02"), check_freq=False
    )
    files = list((tmp_path / "energy-charts" / "DE-LU").iterdir())
    assert [f.name for f in files] == ["2024-05-01_2024-05-02.json"]
    assert len(load_prices(files[0])) == 48


def test_failure_leaves_no_cache(api, tmp_path):
    api.fail_next = 100
    with pytest.raises(
        DataError, match=r"cannot download from 127\.0\.0\.1:\d+ after 2 tries \(HTTP 503"
    ) as info:
        fetch_prices(
            start="2024-05-01",
            end="2024-05-02",
            base_url=api.url,
            cache_dir=tmp_path,
            retries=1,
            backoff=0.01,
        )
    assert "\n" not in str(info.value)
    assert not any(tmp_path.rglob("*.json"))


def test_recent_chunks_are_not_cached(api, tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_module, "_today", lambda: dt.date(2024, 2, 10))
    fetch_prices(
        start="2024-01-01", end="2024-02-11", base_url=api.url, cache_dir=tmp_path, chunk_days=31
    )
    cached = [p.name for p in (tmp_path / "energy-charts" / "DE-LU").iterdir()]
    assert cached == ["2024-01-01_2024-01-31.json"]  # the chunk reaching today may still grow


def test_http_error_is_one_line(api):
    with pytest.raises(DataError, match="HTTP 404"):
        fetch_prices(start="2024-05-01", end="2024-05-02", base_url=api.url + "/nothing", retries=0)


def test_smard_chart_data(api, shared_data, tmp_path):
    got = fetch_prices(
        start="2024-03-30", end="2024-04-09", source="smard", base_url=api.url, cache_dir=tmp_path
    )
    pd.testing.assert_series_equal(
        got, expected(shared_data, "2024-03-30", "2024-04-09"), check_freq=False
    )
    assert api.requests[0] == "/chart_data/4169/DE-LU/index_hour.json"
    assert len(api.requests) == 1 + 3  # the index and three weekly files


def test_offline_is_one_clear_line():
    with pytest.raises(
        DataError, match=r"cannot download from 127\.0\.0\.1:9 after 1 tries .*check the network"
    ):
        fetch_prices(
            start="2024-05-01",
            end="2024-05-02",
            base_url="http://127.0.0.1:9",
            retries=0,
            timeout=2,
        )


def test_a_partial_chunk_is_fetched_again_and_never_cached(api, shared_data, tmp_path):
    api.partial_next = 1  # the first answer holds 1 of 10 days, the second all
    got = fetch_prices(
        start="2024-03-01", end="2024-03-10", base_url=api.url, cache_dir=tmp_path, chunk_days=10
    )
    pd.testing.assert_series_equal(
        got, expected(shared_data, "2024-03-01", "2024-03-10"), check_freq=False
    )
    assert len(api.requests) == 2

    api.partial_next = 2  # partial twice: an error, and nothing cached
    with pytest.raises(DataError, match=r"no prices for 9 of the requested days \(2024-04-02, "):
        fetch_prices(
            start="2024-04-01",
            end="2024-04-10",
            base_url=api.url,
            cache_dir=tmp_path / "b",
            chunk_days=10,
            retries=0,
        )
    assert not list((tmp_path / "b").rglob("*.json"))

    # a partial file in the cache (an older tsgan cached them) is fetched again
    cached = next(tmp_path.rglob("2024-03-01_2024-03-10.json"))
    payload = json.loads(cached.read_text())
    cached.write_text(
        json.dumps(
            {
                **payload,
                "unix_seconds": payload["unix_seconds"][:24],
                "price": payload["price"][:24],
            }
        )
    )
    before = len(api.requests)
    again = fetch_prices(
        start="2024-03-01", end="2024-03-10", base_url=api.url, cache_dir=tmp_path, chunk_days=10
    )
    assert len(api.requests) == before + 1 and len(again) == len(got)


def test_progress_line_per_chunk(api, tmp_path):
    lines: list[str] = []
    fetch_prices(
        start="2024-01-01", end="2024-03-15", base_url=api.url, chunk_days=31, progress=lines.append
    )
    assert lines == [
        "energy-charts DE-LU 2024-01-01..2024-01-31 (1/3)",
        "energy-charts DE-LU 2024-02-01..2024-03-02 (2/3)",
        "energy-charts DE-LU 2024-03-03..2024-03-15 (3/3)",
    ]
