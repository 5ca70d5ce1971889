"""Which booking windows a visit can still be given, with whom and at what extra travel (pure; R-D3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wuyou.routing.optimizer.problem import Engineer, Job, TravelModel, Window, WindowOption, can_do, job_windows


def window_options(
    engineers: Sequence[Engineer],
    routes: Mapping[str, Sequence[Job]],
    job: Job,
    candidates: Sequence[Window],
    *,
    travel: TravelModel,
) -> list[WindowOption]:
    """For each candidate window: can some capable engineer insert the job into his committed day?

    `routes` maps an engineer key to his booked jobs in visiting order (their windows, or pinned starts, are
    the promises to keep). The job goes in at the cheapest place that keeps every booked job in its window and
    the engineer inside his shift; `extra_travel` is the added driving in seconds.
    """
    best: list[tuple[int, int] | None] = [None] * len(candidates)  # (extra travel, engineer)
    for e, eng in enumerate(engineers):
        day = list(routes.get(eng.key, ()))
        if not can_do(eng, job) or sum(b.load for b in day) + job.load > eng.capacity:
            continue
        # One small matrix per engineer: his start, booked stops, end and the new job (a 500-point matrix
        # for everybody at once costs more than all of these together).
        D = travel.matrices([eng.start, *(b.location for b in day), eng.end, job.location])[0]
        home, new = len(day) + 1, len(day) + 2  # his start point is 0, booked stop k is k + 1
        locs = list(range(1, len(day) + 1))
        wins = [job_windows(b) for b in day]
        # Earliest departure from each stop (start point first) ...
        departs = [eng.shift_start]
        here, clock = 0, eng.shift_start
        for b, loc, win in zip(day, locs, wins, strict=True):
            arrival = clock + D[here][loc]
            starts = [max(arrival, lo) for _, lo, hi in win if max(arrival, lo) <= hi]
            if not starts:
                break
            clock = min(starts) + b.duration
            departs.append(clock)
            here = loc
        if len(departs) != len(day) + 1:
            continue  # his booked day is already broken; do not add to it
        # ... and the latest arrival at each stop (end point last) that keeps the rest of the day.
        latest = [eng.shift_end]
        nxt = home
        for b, loc, win in zip(reversed(day), reversed(locs), reversed(wins), strict=True):
            bound = latest[-1] - D[loc][nxt] - b.duration
            ok = [min(hi, bound) for _, lo, hi in win if lo <= bound]
            if not ok:
                break
            latest.append(max(ok))
            nxt = loc
        if len(latest) != len(day) + 1:
            continue
        latest.reverse()  # latest[k]: latest arrival at stop k (k = len(day): his end point)
        stops = [0, *locs, home]
        if departs[-1] + D[stops[-2]][stops[-1]] > eng.shift_end:
            continue
        for p in range(len(day) + 1):
            before, after = stops[p], stops[p + 1]
            drive_in, drive_out = D[before][new], D[new][after]
            extra = drive_in + drive_out - D[before][after]
            arrival = departs[p] + drive_in
            deadline = latest[p] - drive_out - job.duration
            for c, window in enumerate(candidates):
                start = max(arrival, window.start)
                if start <= window.end and start <= deadline:
                    current = best[c]
                    if current is None or extra < current[0]:
                        best[c] = (extra, e)
    return [
        WindowOption(w, True, engineers[b[1]].key, b[0]) if b is not None else WindowOption(w, False, None, None)
        for w, b in zip(candidates, best, strict=True)
    ]
