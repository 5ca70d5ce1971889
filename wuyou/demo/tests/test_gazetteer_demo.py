"""The offline gazetteer (wuyou.core.geocoding) knows every road and outlet of the demo's Qingdao."""

from __future__ import annotations

from wuyou.core.geo import great_circle_km
from wuyou.core.geocoding.gazetteer import gazetteer_default, load_cities
from wuyou.demo.qingdao import CITY, DISTRICTS, OUTLET_SITES, in_qingdao


def test_every_demo_road_is_in_the_gazetteer_inside_qingdao_and_every_outlet_places_near_itself():
    (qingdao,) = load_cities()
    assert qingdao.name == CITY
    roads = {d.name: d.streets for d in qingdao.districts}
    for district in DISTRICTS:
        assert set(district.roads) <= set(roads[district.name]), district.name
        for lat, lon in roads[district.name].values():
            assert in_qingdao(lat, lon)
    for site in OUTLET_SITES:  # each demo outlet's own address places within 2 km of it
        placed = gazetteer_default().locate(CITY, site.district, site.address)
        assert placed is not None
        assert great_circle_km(placed.latitude, placed.longitude, site.latitude, site.longitude) < 2, site.name
