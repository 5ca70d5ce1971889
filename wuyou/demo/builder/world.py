"""The demo's organisation: network, product catalogue and staff."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Certificate, Organisation, Outlet, Region, Role, Skill, StaffProfile
from wuyou.accounts.services import otp_device_enrol_confirmed
from wuyou.accounts.twofactor import second_factor_required
from wuyou.core.errors import Conflict
from wuyou.demo import catalogue, people, qingdao
from wuyou.demo.builder.base import DemoBuilderBase
from wuyou.demo.world import (
    DEMO_AUTHENTICATOR_NAME,
    INTEGRATION_USERNAME,
)
from wuyou.products.models import JobSpec, JobType, ProductCategory, ProductModel
from wuyou.tickets.clocks import time_limits_install


class WorldSteps(DemoBuilderBase):
    """The demo's organisation: network, product catalogue and staff."""

    def _staff(
        self,
        username: str,
        role: str,
        display_name: str,
        *,
        outlet: Outlet | None = None,
        region: Region | None = None,
        superuser: bool = False,
    ) -> tuple[StaffProfile, Actor]:
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            raise Conflict(
                f"A user named {username!r} exists already: load the demo into an empty database.", field="username"
            )
        user = user_model(
            username=username,
            password=self.password_hash,
            is_staff=superuser,
            is_superuser=superuser,
            first_name=display_name,
        )
        user.save()
        profile = StaffProfile.objects.create(
            user=user,
            role=role,
            display_name=display_name,
            outlet=outlet,
            region=region,
            phone=self._unique(people.mobile_number),
        )
        if username != INTEGRATION_USERNAME and second_factor_required(user):
            # Head office and the administrator come with an authenticator already set up, so the tour needs no
            # phone: `wuyou demo totp <username>` prints the code the login asks for.
            otp_device_enrol_confirmed(user=user, name=DEMO_AUTHENTICATOR_NAME)
        actor = Actor(
            user_id=user.pk,
            role=role,
            outlet_id=outlet.pk if outlet else None,
            region_id=region.pk if region else None,
            display_name=display_name,
        )
        self.actors[username] = actor
        return profile, actor

    def network(self) -> None:
        """The organisation, 3 regions and 8 outlets with real district addresses and coordinates."""
        time_limits_install()
        org = Organisation.objects.create(
            code=catalogue.ORGANISATION_CODE, name=catalogue.ORGANISATION_NAME, hotline=catalogue.HOTLINE
        )
        for plan in qingdao.REGIONS:
            region = Region.objects.create(organisation=org, code=plan.code, name=plan.name)
            self.regions[plan.code] = region
            for site in plan.outlets:
                self.outlets[site.code] = Outlet.objects.create(
                    region=region,
                    code=site.code,
                    name=site.name,
                    address=f"{qingdao.CITY}{site.district}{site.address}",
                    latitude=site.latitude,
                    longitude=site.longitude,
                    phone=site.phone,
                )
        self.progress(f"network: {len(self.regions)} regions, {len(self.outlets)} outlets")

    def product_catalogue(self) -> None:
        """Skills, product categories and models with their job specifications."""
        for code, name in catalogue.SKILLS:
            self.skills[code] = Skill.objects.create(code=code, name=name)
        for category_plan in catalogue.CATEGORIES:
            category = ProductCategory.objects.create(code=category_plan.code, name=category_plan.name)
            for model_plan in category_plan.models:
                model = ProductModel.objects.create(
                    code=model_plan.code,
                    name=model_plan.name,
                    category=category,
                    warranty_months=category_plan.warranty_months,
                )
                self.models[model.code] = model
                self.category_of_model[model.code] = category_plan
                for job in model_plan.jobs:
                    spec = JobSpec.objects.create(
                        product_model=model, job_type=job.job_type, standard_minutes=job.minutes
                    )
                    spec.skills.set([self.skills[code] for code in job.skills])
                    if job.job_type == JobType.REPAIR:
                        self.repair_skills[model.code] = frozenset(job.skills)
        self.progress(f"catalogue: {len(self.skills)} skills, {len(self.models)} product models")

    def staff(self) -> None:
        """Head office, regional managers, and per outlet a manager, a clerk, a sales rep and engineers."""
        rng = self.rng
        _p, self.agent = self._staff("agent", Role.CLERK, people.person_name(rng))
        _p, self.manager = self._staff("manager", Role.SERVICE_MANAGER, people.person_name(rng))
        _p, self.followup = self._staff("followup", Role.FOLLOW_UP, people.person_name(rng))
        self._staff("supervisor", Role.TECH_SUPERVISOR, people.person_name(rng))
        self._staff("admin", Role.ADMIN, "系统管理员", superuser=True)
        integration, _a = self._staff(INTEGRATION_USERNAME, Role.INTEGRATION, "CRM 集成")
        integration.user.set_unusable_password()
        integration.user.save(update_fields=["password"])
        for i, region in enumerate(self.regions.values()):
            self._staff(
                "regional" if i == 0 else f"{region.code}-manager",
                Role.REGIONAL_MANAGER,
                people.person_name(rng),
                region=region,
            )
        per_outlet, extra = divmod(max(self.scale.engineers, len(self.outlets)), len(self.outlets))
        certificate_no = 0
        for o, (code, outlet) in enumerate(self.outlets.items()):
            first = o == 0
            _p, self.managers[code] = self._staff(
                "outlet_manager" if first else f"{code}-manager",
                Role.OUTLET_MANAGER,
                people.person_name(rng),
                outlet=outlet,
            )
            _p, self.clerks[code] = self._staff(
                "outlet_clerk" if first else f"{code}-clerk", Role.CLERK, people.person_name(rng), outlet=outlet
            )
            _p, self.sales_reps[code] = self._staff(
                "sales" if first else f"{code}-sales", Role.SALES_REP, people.person_name(rng), outlet=outlet
            )
            self.engineers[code] = []
            for e in range(per_outlet + (1 if o < extra else 0)):
                username = "engineer" if first and e == 0 else f"{code}-eng{e + 1}"
                profile, _a = self._staff(username, Role.ENGINEER, people.person_name(rng), outlet=outlet)
                specialty = catalogue.SPECIALTIES[(o + e) % len(catalogue.SPECIALTIES)]
                valid: set[str] = set()
                for s, skill_code in enumerate(specialty):
                    certificate_no += 1
                    # A few certificates have lapsed (R-F7): every ninth engineer's last one, and some by chance.
                    lapsed = (certificate_no % 9 == 4 and s == len(specialty) - 1) or rng.random() < 0.03
                    if lapsed and username != "engineer":
                        issued = self.today - dt.timedelta(days=rng.randint(1100, 1500))
                    else:
                        issued = self.today - dt.timedelta(days=rng.randint(30, 1060))
                        valid.add(skill_code)
                    Certificate.objects.create(
                        engineer=profile,
                        skill=self.skills[skill_code],
                        issued_on=issued,
                        expires_on=issued + dt.timedelta(days=1095),
                        number=f"HXD-{skill_code[:4].upper()}-{issued.year}-{certificate_no:04d}",
                    )
                self.engineers[code].append((profile, frozenset(valid)))
        total = sum(len(v) for v in self.engineers.values())
        self.progress(f"staff: {StaffProfile.objects.count()} accounts, {total} engineers")
