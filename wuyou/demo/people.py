"""Realistic Chinese demo people: names by real frequency, phone numbers, addresses (pure, seeded)."""

from __future__ import annotations

import random

from wuyou.demo.qingdao import (
    AREA_CODE,
    COMMUNITY_PREFIXES,
    COMMUNITY_SUFFIXES,
    COMPANY_TRADES,
    COMPANY_WORDS,
    District,
)

# Family names with their share per mille: national frequencies (2020 census) tilted towards
# Shandong, where 于, 孙, 姜, 曲, 宋 and 隋 are far more common than nationally.
FAMILY_NAMES: tuple[tuple[str, int], ...] = (
    ("王", 90),
    ("张", 78),
    ("李", 72),
    ("刘", 66),
    ("孙", 34),
    ("杨", 30),
    ("陈", 30),
    ("赵", 28),
    ("于", 26),
    ("徐", 22),
    ("高", 20),
    ("姜", 18),
    ("马", 17),
    ("宋", 16),
    ("周", 15),
    ("郭", 15),
    ("吴", 14),
    ("胡", 12),
    ("韩", 12),
    ("朱", 12),
    ("曲", 10),
    ("董", 10),
    ("林", 10),
    ("吕", 9),
    ("黄", 9),
    ("崔", 8),
    ("薛", 7),
    ("杜", 7),
    ("许", 7),
    ("田", 7),
    ("隋", 5),
    ("邵", 5),
    ("纪", 5),
    ("宫", 4),
    ("滕", 4),
    ("矫", 3),
    ("丁", 6),
    ("梁", 6),
    ("范", 6),
    ("冯", 6),
    ("何", 6),
    ("郑", 6),
    ("罗", 5),
    ("谢", 5),
    ("蒋", 4),
    ("秦", 4),
    ("魏", 5),
    ("袁", 4),
    ("贾", 4),
    ("毛", 3),
)
_FAMILY_CHOICES = [name for name, _w in FAMILY_NAMES]
_FAMILY_WEIGHTS = [w for _n, w in FAMILY_NAMES]

# Given names: common single characters and common two-character names, by gender.
MALE_SINGLE = (
    "伟",
    "强",
    "磊",
    "军",
    "勇",
    "杰",
    "涛",
    "斌",
    "超",
    "明",
    "刚",
    "平",
    "辉",
    "鹏",
    "华",
    "飞",
    "鑫",
    "波",
    "宁",
    "亮",
    "健",
    "峰",
    "浩",
    "凯",
    "东",
    "帅",
    "龙",
)
MALE_DOUBLE = (
    "建国",
    "建华",
    "志强",
    "海涛",
    "文博",
    "子轩",
    "浩然",
    "俊杰",
    "宇航",
    "明辉",
    "国庆",
    "永刚",
    "晓东",
    "志刚",
    "立新",
    "洪涛",
    "振华",
    "家豪",
    "思远",
    "一鸣",
    "德胜",
    "春雷",
    "海波",
    "卫东",
)
FEMALE_SINGLE = (
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "艳",
    "娟",
    "霞",
    "燕",
    "玲",
    "雪",
    "琳",
    "婷",
    "颖",
    "倩",
    "慧",
    "萍",
    "红",
    "梅",
    "洁",
    "莉",
)
FEMALE_DOUBLE = (
    "秀英",
    "桂英",
    "玉兰",
    "秀兰",
    "丽娟",
    "婷婷",
    "欣怡",
    "梓涵",
    "诗涵",
    "晓燕",
    "红梅",
    "海燕",
    "雪梅",
    "春梅",
    "淑珍",
    "凤英",
    "玉梅",
    "晓丽",
    "佳琪",
    "雨萱",
    "美玲",
    "秀珍",
    "静怡",
    "文静",
)

# Mainland mobile prefixes in use (China Mobile, Unicom, Telecom, Broadnet).
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "195",
    "198",
    "199",
)


def person_name(rng: random.Random) -> str:
    """A family name by frequency and a one- or two-character given name."""
    family = rng.choices(_FAMILY_CHOICES, weights=_FAMILY_WEIGHTS)[0]
    female = rng.random() < 0.5
    if rng.random() < 0.45:
        given = rng.choice(FEMALE_SINGLE if female else MALE_SINGLE)
    else:
        given = rng.choice(FEMALE_DOUBLE if female else MALE_DOUBLE)
    return family + given


def company_name(rng: random.Random) -> str:
    """An invented Qingdao company name, e.g. 青岛海韵酒店管理有限公司."""
    return f"青岛{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_TRADES)}有限公司"


def mobile_number(rng: random.Random) -> str:
    """An 11-digit mainland mobile number (1[3-9]…)."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline_number(rng: random.Random) -> str:
    """A Qingdao landline, 0532 and eight digits."""
    return f"{AREA_CODE}-{rng.choice('5678')}{rng.randrange(10**7):07d}"


def street_address(rng: random.Random, district: District) -> str:
    """A road, house number, and for most homes a community, building, entrance and flat."""
    road = rng.choice(district.roads)
    number = rng.randint(1, 399)
    if rng.random() < 0.15:
        return f"{road}{number}号"
    community = rng.choice(COMMUNITY_PREFIXES) + rng.choice(COMMUNITY_SUFFIXES)
    floor = rng.randint(1, 18 if rng.random() < 0.3 else 6)
    return f"{road}{number}号{community}{rng.randint(1, 24)}号楼{rng.randint(1, 4)}单元{floor}{rng.randint(1, 4):02d}室"


def point_in(rng: random.Random, district: District) -> tuple[float, float]:
    """A point inside the district's built-up box, rounded to six decimals (about 0.1 m)."""
    lat = district.centre[0] + rng.uniform(-district.spread[0], district.spread[0])
    lng = district.centre[1] + rng.uniform(-district.spread[1], district.spread[1])
    return round(lat, 6), round(lng, 6)
