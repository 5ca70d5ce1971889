"""Qingdao (青岛市) as the demo's service territory: regions, districts, roads and outlets (pure data)."""

from __future__ import annotations

from dataclasses import dataclass

CITY = "青岛市"
AREA_CODE = "0532"

# Everything the demo places lies inside this box (Qingdao municipality, with a margin).
LATITUDE_RANGE = (35.5, 37.2)
LONGITUDE_RANGE = (119.5, 121.0)


@dataclass(frozen=True)
class District:
    """A district of Qingdao with the urban area where the demo places homes, and some of its real roads."""

    name: str
    centre: tuple[float, float]  # latitude, longitude of the built-up area
    spread: tuple[float, float]  # half-size of the box around the centre, in degrees
    roads: tuple[str, ...]
    weight: int  # share of the demo's customers (roughly the district's population)


@dataclass(frozen=True)
class OutletSite:
    """A service outlet of the demo network: code, name, district, street address, location, phone."""

    code: str
    name: str
    district: str
    address: str
    latitude: float
    longitude: float
    phone: str


@dataclass(frozen=True)
class RegionPlan:
    """A region of the demo network and the outlets in it."""

    code: str
    name: str
    outlets: tuple[OutletSite, ...]


DISTRICTS: tuple[District, ...] = (
    District(
        "市南区",
        (36.068, 120.385),
        (0.010, 0.040),
        (
            "香港中路",
            "香港西路",
            "东海西路",
            "东海中路",
            "闽江路",
            "福州南路",
            "南京路",
            "燕儿岛路",
            "江西路",
            "中山路",
            "太平路",
            "延安三路",
            "云南路",
            "宁夏路",
        ),
        12,
    ),
    District(
        "市北区",
        (36.095, 120.370),
        (0.022, 0.025),
        (
            "辽宁路",
            "台东一路",
            "台东三路",
            "威海路",
            "延吉路",
            "敦化路",
            "福州北路",
            "合肥路",
            "鞍山路",
            "长春路",
            "大连路",
            "杭州路",
        ),
        18,
    ),
    District(
        "崂山区",
        (36.104, 120.460),
        (0.015, 0.030),
        (
            "海尔路",
            "松岭路",
            "株洲路",
            "深圳路",
            "秦岭路",
            "同安路",
            "香港东路",
            "苗岭路",
            "银川东路",
            "劲松三路",
            "海口路",
        ),
        10,
    ),
    District(
        "李沧区",
        (36.158, 120.425),
        (0.022, 0.022),
        ("京口路", "巨峰路", "九水路", "书院路", "金水路", "重庆中路", "振华路", "四流中路", "兴华路", "黑龙江中路"),
        12,
    ),
    District(
        "城阳区",
        (36.305, 120.395),
        (0.030, 0.035),
        ("正阳路", "长城路", "春阳路", "文阳路", "崇阳路", "仙山东路", "青威路", "中城路"),
        12,
    ),
    District(
        "即墨区",
        (36.390, 120.455),
        (0.025, 0.030),
        ("鹤山路", "蓝鳌路", "烟青路", "振华街", "通济街", "文化路", "天山二路", "黄河二路"),
        12,
    ),
    District(
        "黄岛区",
        (35.960, 120.190),
        (0.030, 0.045),
        (
            "长江中路",
            "长江西路",
            "井冈山路",
            "黄河东路",
            "峨眉山路",
            "嘉陵江路",
            "珠江路",
            "武夷山路",
            "香江路",
            "江山中路",
            "紫金山路",
        ),
        16,
    ),
    District(
        "胶州市",
        (36.283, 120.035),
        (0.025, 0.035),
        ("北京东路", "广州北路", "扬州路", "兰州东路", "郑州东路", "常州路", "杭州路"),
        8,
    ),
)

DISTRICT_BY_NAME: dict[str, District] = {d.name: d for d in DISTRICTS}

REGIONS: tuple[RegionPlan, ...] = (
    RegionPlan(
        "qd-city",
        "市区片区",
        (
            OutletSite(
                "qd-shinan", "市南香港中路服务网点", "市南区", "香港中路52号", 36.063200, 120.389600, "0532-85012345"
            ),
            OutletSite(
                "qd-shibei", "市北台东服务网点", "市北区", "台东三路78号", 36.086900, 120.354200, "0532-83665210"
            ),
            OutletSite(
                "qd-laoshan", "崂山海尔路服务网点", "崂山区", "海尔路182号", 36.106300, 120.458100, "0532-88896633"
            ),
        ),
    ),
    RegionPlan(
        "qd-north",
        "北部片区",
        (
            OutletSite("qd-licang", "李沧李村服务网点", "李沧区", "京口路28号", 36.156200, 120.425400, "0532-87651188"),
            OutletSite(
                "qd-chengyang", "城阳正阳路服务网点", "城阳区", "正阳路166号", 36.307400, 120.395800, "0532-87862345"
            ),
            OutletSite(
                "qd-jimo", "即墨鹤山路服务网点", "即墨区", "鹤山路307号", 36.389500, 120.455300, "0532-88512266"
            ),
        ),
    ),
    RegionPlan(
        "qd-west",
        "西海岸片区",
        (
            OutletSite(
                "qd-huangdao", "黄岛长江中路服务网点", "黄岛区", "长江中路216号", 35.960700, 120.195200, "0532-86981122"
            ),
            OutletSite(
                "qd-jiaozhou", "胶州北京东路服务网点", "胶州市", "北京东路88号", 36.280300, 120.040100, "0532-82286677"
            ),
        ),
    ),
)

OUTLET_SITES: tuple[OutletSite, ...] = tuple(site for region in REGIONS for site in region.outlets)

COMMUNITY_PREFIXES = (
    "海景",
    "金湖",
    "银河",
    "翠湖",
    "福林",
    "锦绣",
    "东城",
    "康乐",
    "阳光",
    "万和",
    "瑞源",
    "海韵",
    "山水",
    "青春",
    "丽晶",
    "悦海",
    "春和",
    "华府",
    "明珠",
    "书香",
)
COMMUNITY_SUFFIXES = ("花园", "小区", "家园", "新苑", "新村", "嘉园", "公寓", "名邸")
COMPANY_WORDS = ("海韵", "瑞丰", "鼎盛", "华泰", "金诚", "恒信", "海川", "正阳", "新宇", "汇通", "博远", "润泽")
COMPANY_TRADES = ("酒店管理", "物业服务", "餐饮管理", "商贸", "机械制造", "教育咨询", "医疗器械", "建筑装饰")


def in_qingdao(latitude: float, longitude: float) -> bool:
    """True when the point lies in the demo's Qingdao box."""
    return LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1] and LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]
