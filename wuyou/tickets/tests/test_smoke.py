from wuyou.tickets.services import RequestInput, request_open


def test_open_repair_request_with_everything_known_is_not_flagged(network):
    from tests.factories import CustomerFactory, UnitFactory

    customer = CustomerFactory(outlet=network.outlet_a)
    unit = UnitFactory(owner=customer)
    sr = request_open(actor=network.actor(network.clerk_a), data=RequestInput(
        call_type="repair", customer_id=customer.pk, unit_serial=unit.serial, symptom="不制冷"))
    assert sr.number.startswith("SR")
    assert sr.to_verify is False
    assert sr.events.count() == 1
    assert customer.timeline.filter(ref_kind="request").count() == 1
