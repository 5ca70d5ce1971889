"""Our own check of every plan (pure): windows, shifts and the way home, skills, pins, van loads, travel (ADR 0003)."""

from __future__ import annotations

from wuyou.routing.optimizer.problem import ANY_TIME, PIN_SLACK, Places, Plan, Problem, TravelModel


def _clock(t: int) -> str:
    """Seconds from the origin as h:mm, with :ss when not on the minute (hours run on past 24, never as days)."""
    sign = "-" if t < 0 else ""
    t = abs(t)
    return f"{sign}{t // 3600}:{t % 3600 // 60:02d}" + (f":{t % 60:02d}" if t % 60 else "")


def plan_check(problem: Problem, plan: Plan, *, travel: TravelModel) -> list[str]:
    """Independent feasibility check of a plan in our own code; an empty list means feasible.

    A required job left out is a finding unless no engineer could do it even as his only job (then the plan is
    right and `plan_warnings` tells why the job cannot be done).
    """
    return plan_review(problem, plan, travel=travel)[0]


def plan_warnings(problem: Problem, plan: Plan, *, travel: TravelModel) -> list[str]:
    """Required jobs the plan rightly leaves out, each with why nobody can do it (a skill nobody has, ...)."""
    return plan_review(problem, plan, travel=travel)[1]


def _impossible(problem: Problem, places: Places, j: int) -> str | None:
    """Why no engineer could do job j even as his only job (skills, pin, van, a window within a shift), or None."""
    job = problem.jobs[j]
    D = places.D
    skilled = fits_van = False
    for e, eng in enumerate(problem.engineers):
        if not job.skills <= eng.skills or (job.pinned_to is not None and job.pinned_to != eng.key):
            continue
        skilled = True
        if job.load > eng.capacity:
            continue
        fits_van = True
        there = places.job[j]
        reach, home = eng.shift_start + D[places.start[e]][there], D[there][places.end[e]]
        for _, lo, hi in places.windows[j]:
            start = max(reach, lo)
            if start <= hi and start + job.duration + home <= eng.shift_end:
                return None
    if job.pinned_to is not None:
        return f"it is pinned to {job.pinned_to}, who cannot do it (skills, van or shift)"
    if not skilled:
        return f"no engineer has all of its skills ({', '.join(sorted(job.skills))})"
    if not fits_van:
        return f"its load {job.load} is more than any capable engineer's van holds"
    return "no capable engineer can start it inside one of its windows and be back within his shift"


def plan_review(problem: Problem, plan: Plan, *, travel: TravelModel) -> tuple[list[str], list[str]]:
    """`plan_check`'s findings and `plan_warnings`' notes in one pass."""
    out: list[str] = []
    warnings: list[str] = []
    places = Places(problem.engineers, problem.jobs, travel)
    D, M = places.D, places.M
    engineer_at: dict[str, int] = {}
    for e, eng in enumerate(problem.engineers):
        if eng.key in engineer_at:
            out.append(f"engineer {eng.key} appears twice in the problem")
        engineer_at.setdefault(eng.key, e)
    job_at: dict[str, int] = {}
    for j, job in enumerate(problem.jobs):
        if job.key in job_at:
            out.append(f"job {job.key} appears twice in the problem")
        job_at.setdefault(job.key, j)

    seen: dict[str, str] = {}  # job key -> where it was seen
    routed: set[str] = set()
    for route in plan.routes:
        who = route.engineer
        if who not in engineer_at:
            out.append(f"route for unknown engineer {who}")
            continue
        if who in routed:
            out.append(f"engineer {who} has more than one route")
        routed.add(who)
        e = engineer_at[who]
        eng = problem.engineers[e]
        if route.leave_at < eng.shift_start:
            out.append(
                f"{who} leaves at {_clock(route.leave_at)}, before his shift starts at {_clock(eng.shift_start)}"
            )
        here, clock, load = places.start[e], route.leave_at, 0
        drive_total = distance = 0
        for v in route.visits:
            if v.job not in job_at:
                out.append(f"{who} visits unknown job {v.job}")
                continue
            if v.job in seen:
                out.append(f"job {v.job} is planned twice ({seen[v.job]} and {who})")
            seen[v.job] = who
            j = job_at[v.job]
            job = problem.jobs[j]
            if not job.skills <= eng.skills:
                missing = ", ".join(sorted(job.skills - eng.skills))
                out.append(f"{who} lacks skills {missing} for job {v.job}")
            if job.pinned_to is not None and job.pinned_to != who:
                out.append(f"job {v.job} is pinned to {job.pinned_to} but planned for {who}")
            there = places.job[j]
            drive = D[here][there]
            if v.travel != drive:
                out.append(f"job {v.job}: travel is {drive} s, the plan says {v.travel} s")
            if v.arrival < clock + drive:
                out.append(
                    f"{who} cannot reach job {v.job} by {_clock(v.arrival)}: he is free at {_clock(clock)} "
                    f"and needs {drive} s"
                )
            if v.start < v.arrival:
                out.append(f"job {v.job} starts at {_clock(v.start)}, before the arrival at {_clock(v.arrival)}")
            if v.departure < v.start + job.duration:
                out.append(
                    f"job {v.job} is left at {_clock(v.departure)}, before its {job.duration} s on site are done"
                )
            # The effective windows apply the pin (and let a pin outside every window win).
            if not any(i == v.window and lo <= v.start <= hi for i, lo, hi in places.windows[j]):
                if job.windows and not 0 <= v.window < len(job.windows):
                    out.append(f"job {v.job} has no window number {v.window}")
                elif job.pinned_start is not None and abs(v.start - job.pinned_start) > PIN_SLACK:
                    out.append(
                        f"job {v.job} starts at {_clock(v.start)}, more than {PIN_SLACK // 60} min from its "
                        f"pinned start {_clock(job.pinned_start)}"
                    )
                elif job.windows:
                    w = job.windows[v.window]
                    out.append(
                        f"job {v.job} starts at {_clock(v.start)}, outside its window {_clock(w.start)}-{_clock(w.end)}"
                    )
                else:
                    out.append(f"job {v.job} has no windows, so its window must be {ANY_TIME}")
            drive_total += drive
            distance += M[here][there]
            load += job.load
            here, clock = there, v.departure
        home = D[here][places.end[e]]
        drive_total += home
        distance += M[here][places.end[e]]
        if route.back_at < clock + home:
            out.append(f"{who} cannot be back by {_clock(route.back_at)}: he needs until {_clock(clock + home)}")
        back = max(route.back_at, clock + home)
        if back > eng.shift_end:
            out.append(f"{who} is back at {_clock(back)}, after his shift ends at {_clock(eng.shift_end)}")
        if load > eng.capacity:
            out.append(f"{who}'s van carries {load}, more than its capacity {eng.capacity}")
        if route.travel != drive_total:
            out.append(f"{who}'s travel is {drive_total} s, the route says {route.travel} s")
        if route.distance != distance:
            out.append(f"{who}'s distance is {distance} m, the route says {route.distance} m")

    for u in plan.unassigned:
        if u.job not in job_at:
            out.append(f"unknown job {u.job} reported unassigned")
            continue
        if seen.get(u.job) == "unassigned":
            out.append(f"job {u.job} is reported unassigned twice")
        elif u.job in seen:
            out.append(f"job {u.job} is unassigned but also planned for {seen[u.job]}")
        seen[u.job] = "unassigned"
        if not u.reason:
            # Any code will do (callers add their own, e.g. a dispatcher's "by hand"), but not none.
            out.append(f"job {u.job} is unassigned without a reason")
    for job in problem.jobs:
        if job.key not in seen:
            out.append(f"job {job.key} is neither planned nor reported unassigned")
        elif job.required and seen[job.key] == "unassigned":
            why = _impossible(problem, places, job_at[job.key])
            if why is None:
                out.append(f"required job {job.key} is not planned")
            else:
                warnings.append(f"required job {job.key} cannot be planned: {why}")
    if plan.travel != sum(r.travel for r in plan.routes):
        out.append(f"the plan's travel {plan.travel} s is not the sum of its routes'")
    if plan.distance != sum(r.distance for r in plan.routes):
        out.append(f"the plan's distance {plan.distance} m is not the sum of its routes'")
    return out, warnings
