"""The demo's repair visits of outlet 1 as data: units, what customers say, what engineers find, how each ends.

`wuyou.demo.repairs` replays them through the services. Also the drawn signature customers leave on quotes and
receipts (a small PNG made here, so the demo needs no image files).
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from dataclasses import dataclass

# Outcomes of a visit in the story.
ON_SITE, FINISHED, DISPUTED, TAKEN_BACK = "on_site", "finished", "disputed", "taken_back"


@dataclass(frozen=True)
class VisitPlan:
    """One visit of the story: the unit, what the customer says, what the engineer finds, how it ends."""

    key: str
    model_code: str
    bought_days_ago: int
    symptom: str
    diagnosis: str
    slot: tuple[str, str]
    outcome: str
    parts: tuple[tuple[str, int], ...] = ()
    cause: str = "quality"
    work_done: str = ""
    test_note: str = ""
    faulty: tuple[str, ...] = ()
    dispute: str = ""
    featured: bool = False  # the `engineer` login's visit


# Today: the visit a person finishes live (state the customer in docs/demo.md).
TODAY_VISITS = (
    VisitPlan(
        "onsite",
        "KFR-50LW/BP3DN1Y-XL",
        2040,
        "显示屏显示F0，无法开机",
        "室内机主控板电源模块烧毁（F0）；外机启动电容容量衰减，标称35μF实测24μF。建议更换主控板和启动电容。",
        ("09:00", "11:00"),
        ON_SITE,
        featured=True,
    ),
)
# Yesterday: finished, disputed and taken-back visits, in window order (the fridge loaner goes out before the
# second fridge is taken back, which then finds none).
YESTERDAY_VISITS = (
    VisitPlan(
        "loan_out",
        "BCD-470WDPCU1",
        700,
        "冰箱冷藏室不制冷，冷冻室正常",
        "冷藏风道结冰堵塞，风门和化霜系统故障，需整机带回网点化霜检修。",
        ("08:30", "10:30"),
        TAKEN_BACK,
        work_done="冰箱带回网点检修，已借用备用冰箱给客户",
    ),
    VisitPlan(
        "finished",
        "KFR-35GW/BP3DN1Y-XA",
        850,
        "空调不制冷，外机不转",
        "外机风扇电机绕组烧毁，启动电容鼓包。",
        ("10:30", "12:30"),
        FINISHED,
        parts=(("AC-FAN-OUT", 1), ("AC-CAP-35", 1)),
        work_done="更换外机风扇电机和启动电容，制冷正常",
        test_note="试机30分钟，出风口温度12℃，外机运转平稳",
        faulty=("AC-FAN-OUT", "AC-CAP-35"),
        featured=True,
    ),
    VisitPlan(
        "no_loaner",
        "BCD-508WDPZU1",
        1100,
        "冰箱压缩机频繁启动，有嗡嗡声，不制冷",
        "压缩机启动器故障并疑似系统泄漏，需带回网点检漏补焊。",
        ("13:30", "15:30"),
        TAKEN_BACK,
        work_done="冰箱带回网点检漏维修；网点暂无备用冰箱，已告知网点经理",
    ),
    VisitPlan(
        "disputed",
        "KFR-35GW/BP1DN8Y-MH",
        600,
        "运行十几分钟自动停机",
        "主控板压缩机继电器触点烧蚀，需更换主控板。",
        ("15:30", "17:30"),
        DISPUTED,
        parts=(("AC-PCB-MAIN", 1),),
        work_done="已检测，客户对收费有异议，已提交中心裁定；裁定后预约更换主控板",
        dispute="空调刚过一年保修期主板就坏了，客户认为是质量问题，要求免费更换",
        featured=True,
    ),
    VisitPlan(
        "pump",
        "XQB100-M108",
        1530,
        "洗衣机不排水，显示E21",
        "排水泵叶轮卡死，电机老化。",
        ("18:00", "20:00"),
        FINISHED,
        parts=(("WM-PUMP", 1),),
        cause="wear",
        work_done="更换排水泵，排水脱水正常",
        test_note="空桶试运行一个洗涤程序，排水正常",
        faulty=("WM-PUMP",),
    ),
    VisitPlan(
        "rod",
        "ES60H-A3",
        420,
        "水温达不到设定温度",
        "镁棒消耗殆尽，内胆结垢。",
        ("19:00", "21:00"),
        FINISHED,
        parts=(("MG-ROD-60", 1),),
        cause="wear",
        work_done="更换镁棒并清洗内胆除垢，水温正常",
        test_note="加热至75℃，恒温正常",
    ),
)
# Twelve days ago: two take-backs with loaners, one long since back, one whose loaner is overdue.
EARLIER_VISITS = (
    VisitPlan(
        "full_history",
        "XQG100-HBD14126L",
        760,
        "滚筒洗衣机脱水时异响很大，像金属摩擦声",
        "滚筒轴承磨损，需整机带回网点更换轴承和油封。",
        ("09:00", "11:00"),
        TAKEN_BACK,
        work_done="洗衣机带回网点更换轴承，已借用备用洗衣机给客户",
    ),
    VisitPlan(
        "overdue",
        "ES80H-S5",
        500,
        "热水器底部漏水，漏电保护开关跳闸",
        "内胆焊缝渗漏，需带回网点检修。",
        ("14:00", "16:00"),
        TAKEN_BACK,
        work_done="热水器带回网点检修，已借用备用热水器给客户",
    ),
)
EARLIER_DAYS = 12
VISITS = (*EARLIER_VISITS, *YESTERDAY_VISITS, *TODAY_VISITS)  # one unit registered for each
# Which loaner (outlet 1's, by model) goes out against which take-back, and for how many days.
LOANS = {"full_history": ("XQB100-M108", 9), "overdue": ("ES60H-A3", 9), "loan_out": ("BCD-215STPD", 7)}
ENGINEER_PARTS = {"AC-PCB-MAIN": 2, "AC-CAP-35": 4, "AC-FAN-OUT": 2, "AC-R32": 3}


def signature_png(seed: int) -> str:
    """A small drawn signature (a PNG data URL), different for each seed: receipts show what the customer signed."""
    width, height = 160, 48
    rows = [bytearray([255] * width) for _ in range(height)]
    for x in range(8, width - 8):
        y = height / 2 + 11 * math.sin(x / (9 + seed % 5)) * math.cos(x / (23 + seed % 7))
        for dy in (-1, 0, 1):
            rows[min(height - 1, max(0, round(y) + dy))][x] = 20
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
