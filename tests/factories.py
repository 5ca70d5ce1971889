"""factory_boy factories for the whole domain; tests build their world from these."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from wuyou.accounts.models import Organisation, Outlet, Region, Role, Skill, StaffProfile
from wuyou.customers.models import Address, Customer, CustomerPhone
from wuyou.products.models import ProductCategory, ProductModel, Unit
from wuyou.tickets.models import ServiceRequest

_mobile = itertools.count(13800000000)
PASSWORD = "wuyou-test-pass"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = "haixin"
    name = "海信达电器"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"region-{n}")
    name = factory.Sequence(lambda n: f"片区{n}")


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"outlet-{n}")
    name = factory.Sequence(lambda n: f"服务网点{n}")
    latitude = 36.07
    longitude = 120.38


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    role = Role.CLERK
    display_name = factory.Sequence(lambda n: f"员工{n}")
    outlet = None


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("code",)

    code = "ac-repair"
    name = "空调维修"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"王秀{n}")
    outlet = factory.SubFactory(OutletFactory)

    @factory.post_generation
    def contact(self, create: bool, extracted: object, **kwargs: object) -> None:
        if not create:
            return
        CustomerPhone.objects.create(customer=self, number=str(next(_mobile)), kind="mobile", is_primary=True)
        Address.objects.create(
            customer=self,
            city="青岛市",
            district="市南区",
            detail="香港中路10号",
            latitude=36.06,
            longitude=120.38,
            is_primary=True,
        )


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductCategory
        django_get_or_create = ("code",)

    code = "air-conditioner"
    name = "空调"


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"KFR-35GW/B{n}")
    name = "挂壁式变频空调"
    category = factory.SubFactory(CategoryFactory)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    serial = factory.Sequence(lambda n: f"HX2025{n:08d}")
    product_model = factory.SubFactory(ProductModelFactory)
    owner = factory.SubFactory(CustomerFactory)
    purchase_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=200))


class RequestFactory(factory.django.DjangoModelFactory):
    """A request created directly (for reads); writes under test go through services."""

    class Meta:
        model = ServiceRequest

    call_type = "repair"
    customer = factory.SubFactory(CustomerFactory)
    outlet = factory.LazyAttribute(lambda o: o.customer.outlet)
    number = factory.Sequence(lambda n: f"SR990101{n:06d}")
    symptom = "不制冷"
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=24))
