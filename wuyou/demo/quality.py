"""The demo's month of quality history (issue 14 item 8): what each outlet's month looks like, in numbers and words.

The counts are fixed rather than drawn from probabilities, so that `/quality/` shows the same verdicts whatever the
seed: with every completed job sampled, an outlet whose customers were all satisfied on 38 reached callbacks has a
Wilson 95 % interval of 0.908–1.000 (met with confidence against 90 %); 16 satisfied of 24 reached gives 0.47–0.82
(below with confidence); 6 of 7 gives 0.49–0.97 (not yet decidable). Which jobs get which answer is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

MET, BELOW, UNDECIDED = "met", "below", "undecided"


@dataclass(frozen=True)
class OutletMonth:
    """One outlet's sampled month: jobs completed (each a distinct customer), and how the callbacks went."""

    verdict: str
    jobs: int
    unsatisfied: int = 0
    refused: int = 0
    unreachable: int = 0  # not reached three times: closed
    reached_late: int = 0  # not reached once, reached on the next try


# By outlet position (the first outlet is the featured one of the tour). Unsatisfied customers are followed up
# until satisfied: all but the last two of each outlet get their revisit and a satisfied revisit callback.
MONTHS: tuple[OutletMonth, ...] = (
    OutletMonth(MET, jobs=40, refused=1, unreachable=1, reached_late=2),
    OutletMonth(MET, jobs=38, reached_late=1),
    OutletMonth(MET, jobs=38),
    OutletMonth(BELOW, jobs=26, unsatisfied=8, refused=1, unreachable=1, reached_late=1),
    OutletMonth(MET, jobs=38),
    OutletMonth(MET, jobs=38),
    OutletMonth(UNDECIDED, jobs=7, unsatisfied=1),
    OutletMonth(MET, jobs=38),
)

# Below this many customers (the tests' small demos) each outlet's month is cut to a few jobs of every kind.
FULL_MONTH_FROM_CUSTOMERS = 1000
SMALL_MONTH_JOBS = 6

FIRST_DAY, LAST_DAY = 30, 8  # recorded jobs finished 8 to 30 days ago, so even a weekend callback has been made
# The first outlet's "not sure it is fully fixed" visits, days ago: the older ones called back; the one of
# OVERDUE_DAYS ago was never called (overdue on the list), today's callback is still ahead.
UNCERTAIN_DAYS = (21, 12, 2, 0)
OVERDUE_DAYS = 2

WORK_DONE = (
    "检测完毕，按规范处理，试机正常，向用户讲解了日常使用注意事项",
    "更换故障部件后通电试机，运行正常，现场清理干净",
    "清洗保养并紧固接线，试机三十分钟无异常",
    "排除故障，用户现场确认效果，留下服务卡",
)
UNCERTAIN_NOTE = "故障为偶发，现场未能复现，已紧固插件，请回访确认是否彻底修好"
NO_TEST_NOTE = "用户急于出门，来不及完整试机，已告知观察两天"

UNSATISFIED_NOTES = (
    "用户反映修好两天后又出现同样的问题，要求再派人看看",
    "用户说师傅迟到一个多小时也没提前打电话，对服务不满意",
    "用户反映维修后噪音比以前还大",
    "用户认为收费比电话里说的高，心里不舒服",
    "用户说师傅走后地上留了不少灰，没有清理",
    "用户反映问题只解决了一半，制冷还是偏弱",
    "用户说师傅态度生硬，问问题不耐烦",
    "用户反映维修后遥控器不灵了",
)
REVISIT_WORK = "二次上门复查，彻底排除故障并向用户致歉，用户现场确认满意"
REACHED_LATE_NOTE = "第一次拨打无人接听"
UNREACHABLE_NOTE = "连续三次无人接听"
REFUSED_NOTE = "用户表示很忙，不愿接受回访"
SUGGESTIONS = ("师傅很专业，希望继续保持", "上门前能提前半小时打个电话就更好了", "", "", "")

GUIDANCE_NOTES = (
    "指导用户将遥控器调回制冷模式并更换电池，空调恢复正常",
    "指导用户清理洗衣机排水过滤器，排水恢复正常",
)


@dataclass(frozen=True)
class ComplaintPlan:
    """A complaint of the month and how far the desk has taken it."""

    key: str
    days_ago: int
    category: str
    severity: str
    symptom: str
    stage: str  # registered, told, awaiting_approval, disposed (customer informed), late, authority, rectified
    finding: str = ""
    responsible: str = ""
    remedy: str = ""
    amount: str | None = None
    report: str = ""


COMPLAINTS: tuple[ComplaintPlan, ...] = (
    ComplaintPlan(
        "registered", 0, "lateness", "minor", "用户投诉：约好上午上门，等到中午也没人来，电话也打不通", "registered"
    ),
    ComplaintPlan("told", 1, "fee", "minor", "用户投诉：更换排水泵收费比报价多出六十元，要求说明", "told"),
    ComplaintPlan(
        "approval",
        3,
        "product_quality",
        "major",
        "用户投诉：新买的冰箱三个月内坏了两次，食物全部变质，要求赔偿",
        "awaiting_approval",
        finding="经核实压缩机启动继电器批次质量问题，两次维修属实，食物损失用户提供了照片",
        responsible="product",
        remedy="compensation",
        amount="800.00",
    ),
    ComplaintPlan(
        "disposed",
        12,
        "attitude",
        "minor",
        "用户投诉：维修师傅说话不耐烦，问了几遍都不解释",
        "disposed",
        finding="与工程师及用户分别核实，沟通方式欠妥，已对工程师批评教育",
        responsible="engineer",
        remedy="explanation",
    ),
    ComplaintPlan(
        "late",
        24,
        "parts",
        "major",
        "用户投诉：配件等了十多天还没到，热水器一直不能用",
        "late",
        finding="配件中心缺货调拨延误，已加急到货并上门安装完毕",
        responsible="outlet",
        remedy="revisit",
    ),
    ComplaintPlan(
        "rectified",
        18,
        "lateness",
        "major",
        "用户投诉：两次预约都没按时上门，请假在家白等",
        "rectified",
        finding="网点派工安排不合理，两次均超出预约时段，情况属实",
        responsible="outlet",
        remedy="compensation",
        amount="200.00",
    ),
    ComplaintPlan(
        "authority",
        20,
        "product_quality",
        "critical",
        "市场监管局12315转来投诉：用户称洗衣机脱水时剧烈晃动移位，要求退换",
        "authority",
        finding="上门检测为减震吊杆断裂，属产品质量问题，为用户办理换新",
        responsible="product",
        remedy="exchange",
        report=(
            "关于12315转办投诉的处理报告：接到转办后当日联系用户，次日上门检测，确认洗衣机减震吊杆断裂，"
            "属产品质量问题。经与用户协商，为其办理同型号换新，旧机收回返厂分析。用户对处理结果表示认可。"
        ),
    ),
)
RECTIFICATION = (
    ("网点每日晚间核对次日预约时段与工程师排班", 10),
    ("超出预约时段的工单由网点主任当日电话致歉", 3),
)
