"""Geocoding (issue 13 item 3): the offline gazetteer, the AMap provider (no network: a fake opener), the registry."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

import pytest

from wuyou.core import geocoding
from wuyou.core.geo import great_circle_km
from wuyou.core.geocoding.amap import AmapGeocoder
from wuyou.core.geocoding.gazetteer import GazetteerGeocoder, gazetteer_default, load_cities

SHINAN_OUTLET = (36.0632, 120.3896)  # the demo's 市南香港中路服务网点 (wuyou/demo/qingdao.py)
CHENGYANG_OUTLET = (36.3074, 120.3958)


@pytest.fixture
def gazetteer() -> GazetteerGeocoder:
    return gazetteer_default()


def test_a_shinan_address_on_hong_kong_road_lands_near_the_shinan_outlet_and_says_approximate(gazetteer):
    placed = gazetteer.locate("青岛市", "市南区", "香港中路76号3单元")
    assert placed is not None
    assert placed.precision == "street" and placed.approximate and placed.source == "gazetteer"
    assert great_circle_km(placed.latitude, placed.longitude, *SHINAN_OUTLET) < 1.5
    assert great_circle_km(placed.latitude, placed.longitude, *CHENGYANG_OUTLET) > 25


@pytest.mark.parametrize(
    ("city", "district", "detail", "precision", "near"),
    [
        ("青岛", "", "市南区香港中路 76 号", "street", SHINAN_OUTLET),  # district in the text, short city name
        ("青岛市", "", "台东三路７８号", "street", (36.0869, 120.3542)),  # full-width digits
        ("青岛市", "城阳区", "春和小区5号楼", "district", CHENGYANG_OUTLET),  # no road known: the district's middle
        ("青岛市", "西海岸新区", "某小区", "district", (35.9607, 120.1952)),  # 黄岛区 by its other name
        ("青岛市", "胶州市", "杭州路1号", "street", (36.2803, 120.0401)),  # a road in two districts, district given
        ("青岛市", "", "胶州路12号", "street", (36.071, 120.327)),  # 胶州路 is in 市北区, not in 胶州市
    ],
)
def test_roads_and_districts_place_the_address(gazetteer, city, district, detail, precision, near):
    placed = gazetteer.locate(city, district, detail)
    assert placed is not None and placed.precision == precision and placed.approximate
    assert great_circle_km(placed.latitude, placed.longitude, *near) < 3


@pytest.mark.parametrize(
    ("city", "district", "detail"),
    [
        ("青岛市", "", "海景花园3栋"),  # no road, no district
        ("北京市", "朝阳区", "香港中路1号"),  # another city: the gazetteer knows Qingdao only
        ("青岛市", "", "杭州路1号"),  # 杭州路 in 市北区 and in 胶州市, no district said: not guessed
        ("", "", ""),
        ("青岛市", "", "<script>alert(1)</script>"),
    ],
)
def test_unknown_text_is_not_placed(gazetteer, city, district, detail):
    assert gazetteer.locate(city, district, detail) is None


def test_the_data_file_has_the_ten_districts_of_qingdao():
    (qingdao,) = load_cities()
    names = {d.name for d in qingdao.districts}
    assert names == {"市南区", "市北区", "李沧区", "崂山区", "城阳区", "黄岛区", "即墨区", "胶州市", "平度市", "莱西市"}
    central = [d for d in qingdao.districts if d.name in {"市南区", "市北区", "崂山区", "李沧区"}]
    assert all(len(d.streets) >= 15 for d in central)


# --- AMap --------------------------------------------------------------------------------------------------------


class FakeOpener:
    """Answers like restapi.amap.com would (or fails like the network), and remembers what it was asked."""

    def __init__(self, answer: object = None, error: Exception | None = None) -> None:
        self.answer, self.error = answer, error
        self.requests: list[tuple[urllib.request.Request, float]] = []

    def __call__(self, request: urllib.request.Request, timeout: float) -> bytes:
        self.requests.append((request, timeout))
        if self.error is not None:
            raise self.error
        return self.answer if isinstance(self.answer, bytes) else json.dumps(self.answer).encode()


AMAP_OK = {
    "status": "1",
    "info": "OK",
    "infocode": "10000",
    "count": "1",
    "geocodes": [
        {
            "formatted_address": "山东省青岛市市南区香港中路76号",
            "province": "山东省",
            "city": "青岛市",
            "district": "市南区",
            "location": "120.389576,36.063215",
            "level": "门牌号",
        }
    ],
}


def test_amap_parses_the_first_geocode_lng_lat_and_sends_key_and_address():
    opener = FakeOpener(AMAP_OK)
    placed = AmapGeocoder("k-123", timeout=2.5, opener=opener).locate("青岛市", "市南区", "香港中路76号")
    assert placed == geocoding.Placement(36.063215, 120.389576, "address", "amap", approximate=False)
    ((request, timeout),) = opener.requests
    assert timeout == 2.5
    url = urllib.parse.urlsplit(request.full_url)
    assert (url.scheme, url.netloc, url.path) == ("https", "restapi.amap.com", "/v3/geocode/geo")
    query = urllib.parse.parse_qs(url.query)
    assert (
        query["key"] == ["k-123"] and query["address"] == ["青岛市市南区香港中路76号"] and query["city"] == ["青岛市"]
    )


def test_amap_road_level_matches_are_approximate():
    answer = {**AMAP_OK, "geocodes": [{**AMAP_OK["geocodes"][0], "level": "道路"}]}
    placed = AmapGeocoder("k", opener=FakeOpener(answer)).locate("青岛市", "", "香港中路")
    assert placed is not None and placed.precision == "street" and placed.approximate


@pytest.mark.parametrize(
    "opener",
    [
        FakeOpener(error=urllib.error.URLError(TimeoutError("timed out"))),
        FakeOpener(error=TimeoutError()),
        FakeOpener(error=urllib.error.URLError("no route to host")),
        FakeOpener(error=urllib.error.HTTPError("https://restapi.amap.com", 503, "busy", None, None)),  # type: ignore[arg-type]
        FakeOpener(b"<html>gateway</html>"),
        FakeOpener(b"\xff\xfe not utf-8"),
        FakeOpener({"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"}),
        FakeOpener({"status": "1", "count": "0", "geocodes": []}),
        FakeOpener({**AMAP_OK, "geocodes": [{"location": "", "level": "门牌号"}]}),
        FakeOpener({**AMAP_OK, "geocodes": [{"location": "nan,nan", "level": "门牌号"}]}),
        FakeOpener({**AMAP_OK, "geocodes": [{"location": "120.1,36.1", "level": "省"}]}),
        FakeOpener(["not", "an", "object"]),
    ],
)
def test_amap_survives_timeouts_errors_and_odd_answers_with_none_and_a_log_line(opener, caplog):
    with caplog.at_level(logging.INFO, logger="wuyou.geocoding"):
        assert AmapGeocoder("secret-key", opener=opener).locate("青岛市", "市南区", "香港中路76号") is None
    assert "secret-key" not in caplog.text


def test_amap_timeout_and_refusal_are_logged_as_warnings(caplog):
    with caplog.at_level(logging.WARNING, logger="wuyou.geocoding"):
        AmapGeocoder("k", opener=FakeOpener(error=TimeoutError())).locate("青岛市", "", "香港中路1号")
        AmapGeocoder("k", opener=FakeOpener({"status": "0", "info": "DAILY_QUERY_OVER_LIMIT"})).locate(
            "青岛市", "", "x"
        )
    assert [r.getMessage() for r in caplog.records] == [
        "amap geocoding failed: TimeoutError",
        "amap geocoding refused: DAILY_QUERY_OVER_LIMIT",
    ]


def test_amap_needs_a_key():
    with pytest.raises(ValueError):
        AmapGeocoder("")


# --- the registry: chosen by settings, the gazetteer always behind ----------------------------------------------


def test_the_default_geocoder_is_the_offline_gazetteer(settings):
    settings.WUYOU_GEOCODER = "gazetteer"
    assert geocoding.geocoder_get().name == "gazetteer"
    assert {"gazetteer", "amap"} <= set(geocoding.geocoder_names())


def test_amap_with_a_key_is_asked_first_and_the_gazetteer_takes_over_when_it_fails(settings, monkeypatch):
    settings.WUYOU_GEOCODER, settings.WUYOU_AMAP_KEY = "amap", "k"
    failing = FakeOpener(error=TimeoutError())
    monkeypatch.setattr("wuyou.core.geocoding.amap._urlopen", failing)
    geocoder = geocoding.geocoder_get()
    assert geocoder.name == "amap+gazetteer"
    placed = geocoder.locate("青岛市", "市南区", "香港中路76号")
    assert len(failing.requests) == 1 and placed is not None and placed.source == "gazetteer"


def test_amap_without_a_key_or_an_unknown_name_falls_back_to_the_gazetteer_and_logs(settings, caplog):
    settings.WUYOU_GEOCODER, settings.WUYOU_AMAP_KEY = "amap", ""
    with caplog.at_level(logging.ERROR, logger="wuyou.geocoding"):
        assert geocoding.geocoder_get().name == "gazetteer"
        settings.WUYOU_GEOCODER = "nonesuch"
        assert geocoding.geocoder_get().name == "gazetteer"
    assert "not configured" in caplog.text and "unknown geocoder" in caplog.text


def test_a_registered_provider_plugs_in_and_a_crashing_one_does_not_stop_placing(settings, monkeypatch):
    class Broken:
        name = "broken"

        def locate(self, city: str, district: str, detail: str) -> geocoding.Placement | None:
            raise RuntimeError("provider bug")

    monkeypatch.setitem(geocoding._factories, "broken", Broken)
    settings.WUYOU_GEOCODER = "broken"
    placed = geocoding.locate("青岛市", "市南区", "香港中路76号")
    assert placed is not None and placed.source == "gazetteer"
