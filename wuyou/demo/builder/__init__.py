"""Builds the demo world step by step through the real services; one instance per load.

The steps live by sub-domain: the organisation (world.py), customers and units (customers.py), the requests'
history, field service and repairs (history.py), the month of callbacks and complaints (quality.py); base.py holds
the state they share and the order they run in.
"""

from __future__ import annotations

from wuyou.accounts.selectors import calendars_held
from wuyou.demo.builder.customers import CustomerSteps
from wuyou.demo.builder.history import HistorySteps
from wuyou.demo.builder.quality import QualitySteps
from wuyou.demo.builder.world import WorldSteps
from wuyou.tickets.clocks import policies_held
from wuyou.tickets.sweep import clocks_sweep


class DemoBuilder(WorldSteps, CustomerSteps, HistorySteps, QualitySteps):
    """The demo builder: every step of every sub-domain over one shared state."""

    # -- the steps in order ----------------------------------------------------------------------------------
    def build(self) -> None:
        """Everything, in dependency order."""
        self.network()
        self.product_catalogue()
        self.staff()
        with self.clock:
            self.customers()
            self.units()
            self.notes()
            # The network's calendars and time limits are set by now, and the drill changes one policy: between
            # those, each outlet's calendar and each request kind's policies are read once (the load is one
            # transaction, so nothing else changes them meanwhile).
            with calendars_held(), policies_held():
                self.requests()
            self.clock.now = self.real_now
            self.time_limit_drill()
            with calendars_held(), policies_held():
                self.field_service()
                self.quality_history()
            report = clocks_sweep()
        self.progress(
            f"deadline sweep: {report.warned} warned, {report.breached} breached, {report.escalated} escalated"
        )
        self.progress("done")
