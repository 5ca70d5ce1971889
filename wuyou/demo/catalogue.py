"""The demo maker's catalogue, skills, and what its customers say on the phone (pure data, Chinese)."""

from __future__ import annotations

from dataclasses import dataclass

ORGANISATION_CODE = "haixin"
ORGANISATION_NAME = "海信达电器"
HOTLINE = "400-600-5532"

# code, name; "特种作业" marks a statutory special-operation licence
SKILLS: tuple[tuple[str, str], ...] = (
    ("ac-install", "空调安装"),
    ("ac-repair", "空调维修"),
    ("refrigeration", "制冷与空调作业（特种作业）"),
    ("work-at-height", "高处作业（特种作业）"),
    ("laundry", "洗衣机安装维修"),
    ("fridge", "冰箱维修"),
    ("water-heater", "热水器安装维修"),
    ("gas", "燃气具安装维修"),
    ("boiler", "壁挂炉安装维修"),
    ("kitchen", "厨电安装维修"),
)

# Engineers specialise; each specialty is a set of skills they hold certificates for.
SPECIALTIES: tuple[tuple[str, ...], ...] = (
    ("ac-install", "ac-repair", "refrigeration", "work-at-height"),
    ("ac-repair", "refrigeration", "fridge"),
    ("laundry", "fridge", "kitchen"),
    ("water-heater", "gas", "boiler"),
    ("kitchen", "water-heater", "laundry"),
)


@dataclass(frozen=True)
class JobPlan:
    """A job type's standard duration and required skills on a product model."""

    job_type: str
    minutes: int
    skills: tuple[str, ...]


@dataclass(frozen=True)
class ModelPlan:
    """A product model of the catalogue."""

    code: str
    name: str
    jobs: tuple[JobPlan, ...]


@dataclass(frozen=True)
class CategoryPlan:
    """A product category: models, warranty, share of units sold, serial prefix, typical faults."""

    code: str
    name: str
    serial_letter: str
    warranty_months: int
    weight: int
    models: tuple[ModelPlan, ...]
    faults: tuple[tuple[str, str], ...]  # what the customer reports, what the engineer found and did


def _ac(code: str, name: str, install_minutes: int) -> ModelPlan:
    return ModelPlan(
        code,
        name,
        (
            JobPlan("installation", install_minutes, ("ac-install", "refrigeration", "work-at-height")),
            JobPlan("repair", 60, ("ac-repair", "refrigeration")),
            JobPlan("maintenance", 45, ("ac-repair",)),
        ),
    )


def _laundry(code: str, name: str) -> ModelPlan:
    return ModelPlan(
        code,
        name,
        (
            JobPlan("installation", 30, ("laundry",)),
            JobPlan("repair", 60, ("laundry",)),
            JobPlan("maintenance", 45, ("laundry",)),
        ),
    )


def _fridge(code: str, name: str) -> ModelPlan:
    return ModelPlan(
        code,
        name,
        (
            JobPlan("delivery", 30, ()),
            JobPlan("repair", 75, ("fridge", "refrigeration")),
            JobPlan("inspection", 30, ("fridge",)),
        ),
    )


def _heater(code: str, name: str, gas: bool) -> ModelPlan:
    skills = ("water-heater", "gas") if gas else ("water-heater",)
    return ModelPlan(
        code,
        name,
        (
            JobPlan("installation", 90 if gas else 60, skills),
            JobPlan("repair", 45, skills),
            JobPlan("maintenance", 40, skills),
        ),
    )


def _boiler(code: str, name: str) -> ModelPlan:
    return ModelPlan(
        code,
        name,
        (
            JobPlan("installation", 180, ("boiler", "gas")),
            JobPlan("repair", 90, ("boiler", "gas")),
            JobPlan("maintenance", 60, ("boiler",)),
        ),
    )


def _hood(code: str, name: str) -> ModelPlan:
    return ModelPlan(
        code,
        name,
        (
            JobPlan("installation", 60, ("kitchen",)),
            JobPlan("repair", 45, ("kitchen",)),
            JobPlan("maintenance", 60, ("kitchen",)),
        ),
    )


CATEGORIES: tuple[CategoryPlan, ...] = (
    CategoryPlan(
        "air-conditioner",
        "空调",
        "A",
        72,
        35,
        (
            _ac("KFR-26GW/BP3DN1Y-XA", "挂壁式变频空调 大1匹 一级能效", 90),
            _ac("KFR-35GW/BP3DN1Y-XA", "挂壁式变频空调 1.5匹 一级能效", 90),
            _ac("KFR-35GW/BP1DN8Y-MH", "挂壁式变频空调 1.5匹 新风型", 100),
            _ac("KFR-50LW/BP3DN1Y-XL", "立柜式变频空调 2匹 一级能效", 120),
            _ac("KFR-72LW/BP3DN1Y-XL", "立柜式变频空调 3匹 一级能效", 120),
            _ac("KFR-120W/BP3N1-DG", "风管式家用中央空调 5匹", 240),
        ),
        (
            ("空调不制冷，外机不转", "更换外机风扇电机和启动电容，制冷正常"),
            ("制冷效果差，出风不凉", "检测缺冷媒，补漏并补充冷媒后制冷正常"),
            ("室内机漏水", "疏通排水管，室内机不再漏水"),
            ("开机显示E1故障代码", "更换室内环境温度传感器，故障码消除"),
            ("遥控器无反应，面板不亮", "更换显示板，遥控和面板恢复正常"),
            ("外机噪音大，有异响", "紧固外机支架并更换减震垫，异响消除"),
            ("制热时出冷风", "更换四通阀线圈，制热正常"),
            ("空调有异味", "清洗蒸发器和过滤网，异味消除"),
            ("运行十几分钟自动停机", "清洗冷凝器，更换主控板后运行正常"),
            ("显示屏显示F0，无法开机", "更换主控板后试机正常"),
        ),
    ),
    CategoryPlan(
        "washing-machine",
        "洗衣机",
        "W",
        36,
        18,
        (
            _laundry("XQG100-HBD14126L", "滚筒洗衣机 10公斤 洗烘一体"),
            _laundry("XQG80-B12126", "滚筒洗衣机 8公斤 变频"),
            _laundry("XQB100-M108", "波轮洗衣机 10公斤"),
        ),
        (
            ("洗衣机不脱水，显示E21", "清理排水泵异物，排水脱水恢复正常"),
            ("滚筒洗衣机门打不开", "更换门锁开关，门可正常开启"),
            ("洗衣机不进水", "更换进水阀，进水正常"),
            ("脱水时震动很大，噪音大", "调平底脚并拆除运输螺栓，震动消除"),
            ("排水慢，显示E30", "清理排水过滤器，排水正常"),
            ("底部漏水", "更换进水管密封圈，不再漏水"),
            ("洗衣机通电无反应", "更换电脑板，试机正常"),
            ("烘干功能不热", "更换烘干加热管，烘干正常"),
        ),
    ),
    CategoryPlan(
        "refrigerator",
        "冰箱",
        "R",
        36,
        17,
        (
            _fridge("BCD-508WDPZU1", "对开门冰箱 508升 风冷无霜"),
            _fridge("BCD-470WDPCU1", "十字对开门冰箱 470升"),
            _fridge("BCD-215STPD", "三门冰箱 215升"),
        ),
        (
            ("冰箱冷藏室不制冷", "更换化霜加热器，制冷恢复"),
            ("冷冻室结霜严重", "更换门封条，密封良好，结霜消除"),
            ("压缩机一直工作不停机", "更换温度传感器，运行正常"),
            ("冰箱有异响", "调整压缩机减震垫，异响消除"),
            ("冷藏室有积水", "疏通排水孔，积水消除"),
            ("显示屏显示E5报警", "更换化霜传感器，报警消除"),
            ("门封不严，关不上", "调整门铰链并更换门封条，关门正常"),
        ),
    ),
    CategoryPlan(
        "water-heater",
        "热水器",
        "H",
        36,
        14,
        (
            _heater("ES60H-A3", "电热水器 60升 一级能效", gas=False),
            _heater("ES80H-S5", "电热水器 80升 速热", gas=False),
            _heater("JSQ25-13WT", "燃气热水器 13升 恒温", gas=True),
            _heater("JSQ30-16TE", "燃气热水器 16升 零冷水", gas=True),
        ),
        (
            ("热水器不加热", "更换加热管，加热正常"),
            ("燃气热水器打不着火，显示E1", "更换点火针并清理燃烧器，点火正常"),
            ("出水忽冷忽热", "更换水流量传感器，水温稳定"),
            ("热水器漏水", "更换泄压阀，不再漏水"),
            ("漏电保护开关跳闸", "更换漏电保护插头，试机正常"),
            ("水温达不到设定温度", "更换镁棒并清洗内胆除垢，水温正常"),
        ),
    ),
    CategoryPlan(
        "wall-hung-boiler",
        "壁挂炉",
        "B",
        24,
        6,
        (
            _boiler("L1PB26-HX20", "燃气采暖壁挂炉 26kW"),
            _boiler("L1GB32-HX30", "冷凝式燃气壁挂炉 32kW"),
        ),
        (
            ("壁挂炉点不着火，显示E1", "更换点火电极，点火正常"),
            ("暖气片不热", "管路排气并更换循环水泵，暖气片正常发热"),
            ("壁挂炉压力低，显示E9，需要补水", "补水至1.5bar并检查无渗漏，运行正常"),
            ("壁挂炉频繁启停", "调整采暖功率和回差温度，运行平稳"),
            ("采暖水温上不去", "清洗板换，水温正常"),
            ("燃烧时有异响", "清理燃烧室积碳，调整燃气压力，异响消除"),
        ),
    ),
    CategoryPlan(
        "range-hood",
        "油烟机",
        "K",
        36,
        10,
        (
            _hood("CXW-200-E900C1", "侧吸式油烟机 大吸力"),
            _hood("CXW-260-T905", "顶吸式油烟机 自清洗"),
            _hood("CXW-220-JS09", "侧吸式油烟机 挥手感应"),
        ),
        (
            ("油烟机吸力变小", "深度清洗风轮和油网，吸力恢复"),
            ("油烟机噪音大", "更换风轮并校正平衡，噪音正常"),
            ("油烟机漏油", "更换集油盒密封件，不再漏油"),
            ("按键失灵，无法开机", "更换按键板，操作正常"),
            ("照明灯不亮", "更换照明灯"),
            ("电机不转", "更换电机电容，电机运转正常"),
        ),
    ),
)
# Each model code's category: serial letter and faults for units of that model (repairs and the field day).
CATEGORY_OF_MODEL: dict[str, CategoryPlan] = {m.code: c for c in CATEGORIES for m in c.models}

BOOKINGS: tuple[str, ...] = (
    "新购{category}，预约上门安装",
    "房屋装修后需要移机，预约拆装",
    "预约{category}年度保养",
    "预约上门清洗{category}",
)
BOOKING_RESULTS: tuple[str, ...] = (
    "安装完成，试机正常，已向客户讲解使用和保养方法",
    "移机完成，打压检漏合格，试机正常",
    "保养完成，已清洗并检测各项参数",
)
CONSULTATIONS: tuple[str, ...] = (
    "咨询空调开机前需要注意什么",
    "咨询壁挂炉冬季首次使用方法",
    "咨询延保服务价格",
    "咨询以旧换新活动",
    "咨询滚筒洗衣机如何清洗滤网",
    "咨询燃气热水器能否改用天然气",
)
INQUIRIES: tuple[str, ...] = (
    "查询上次维修进度",
    "查询配件价格",
    "查询保修期还有多久",
    "查询发票开具进度",
    "查询工程师几点到",
)
GENERAL_CALLS: tuple[str, ...] = (
    "客户来电更改联系电话",
    "客户来电表扬工程师服务态度好",
    "来电询问服务网点地址",
    "客户要求寄送使用说明书",
)
COMPLAINTS: tuple[str, ...] = (
    "工程师迟到两个小时未提前通知",
    "维修后一周内同一故障再次出现",
    "上门收取费用与公布标准不符",
    "安装时损坏了墙面，要求处理",
    "预约多次无人上门",
    "工程师服务态度差",
)
ANSWERS: tuple[str, ...] = ("已电话解答，客户满意", "已通过微信发送说明，客户确认收到", "已告知客户办理流程")
COMPLAINT_OUTCOMES: tuple[str, ...] = (
    "已向客户道歉，主管上门沟通，客户接受处理方案",
    "已退还多收费用并致歉",
    "已安排技术主管复修，客户确认满意",
)
WAIT_CUSTOMER_NOTES: tuple[str, ...] = (
    "客户出差，约定下周再上门",
    "客户家中无人，已留言并电话告知",
    "客户需与物业确认施工时间",
)
WAIT_PARTS_NOTES: tuple[str, ...] = (
    "所需配件网点缺货，已申请调货",
    "配件已向总部下单，预计三天到货",
    "配件在途，到货后电话预约上门",
)
CANCEL_NOTES: tuple[str, ...] = ("客户自行解决，取消报修", "重复报单，已合并", "客户改约其他时间，重新报单")
REOPEN_NOTES: tuple[str, ...] = ("客户反映故障再次出现", "回访时客户表示问题未彻底解决")
SALES_NOTES: tuple[str, ...] = (
    "到店咨询变频空调，留下联系方式",
    "电话咨询以旧换新政策，已发送活动说明",
    "看中对开门冰箱，等待周末促销",
    "询问壁挂炉安装条件，已约上门勘察",
    "咨询油烟机和燃气灶套购优惠",
)
