"""When to leave for each stop (pure; R-F2): at the door a few minutes before the visit starts, not hours early.

The search times a route "as early as possible": each visit starts at its window's opening or as soon as he can
get there, and he would set off at once after the previous job, so that a visit with a later window has him
arrive hours early and wait on the customer's doorstep. `schedule_late` moves that waiting to before he sets
off — at home or at the outlet before the first stop, or where he is after finishing the previous job — so that
every arrival is `early` seconds before the visit starts wherever the route allows ("leave by" = arrival −
drive).

Only arrivals (and with them the departures from the previous place) move; when each visit starts and ends
stays as planned. A start is already the earliest the chain allows and inside its window, so keeping it keeps
every later stop's window, the way home and the shift end exactly as they were checked. An arrival is never
after its start, nor before the previous job is done plus the drive (before the shift starts plus the drive
for the first stop), so a feasible route stays feasible; a visit that cannot be reached by its start is left
as it was, for `plan_check` to report.
"""

from __future__ import annotations

from dataclasses import replace

from wuyou.routing.optimizer.problem import Plan, Problem, Route, Visit

ARRIVE_EARLY = 7 * 60  # seconds at the door before the visit starts (R-F2: 5–10 minutes early)


def schedule_late(route: Route, *, shift_start: int | None = None, early: int = ARRIVE_EARLY) -> Route:
    """The route with each arrival `early` seconds before its visit starts, or as soon after as he can get there.

    `shift_start` is when he may leave his start point at the earliest; without it, no earlier than the route's
    `leave_at`. The route's `leave_at` follows the first arrival; his return is unchanged.
    """
    early = max(0, early)
    free = route.leave_at if shift_start is None else shift_start
    visits: list[Visit] = []
    for visit in route.visits:
        soonest = free + visit.travel
        if soonest <= visit.start:
            visit = replace(visit, arrival=max(soonest, visit.start - early))
        visits.append(visit)
        free = visit.departure
    leave_at = route.leave_at
    if visits and visits[0] is not route.visits[0]:
        leave_at = visits[0].arrival - visits[0].travel
    return replace(route, visits=tuple(visits), leave_at=leave_at)


def plan_late(problem: Problem, plan: Plan, *, early: int = ARRIVE_EARLY) -> Plan:
    """The plan with every route re-timed by `schedule_late` (engineers' shifts from the problem)."""
    shifts = {engineer.key: engineer.shift_start for engineer in problem.engineers}
    routes = tuple(schedule_late(r, shift_start=shifts.get(r.engineer), early=early) for r in plan.routes)
    return replace(plan, routes=routes)
