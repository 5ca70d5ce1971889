"""The production URL map plus /bench/floor/: a bare view that inserts one row (the framework floor)."""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as production_urls
from wuyou.customers.models import TimelineEntry


@csrf_exempt
@require_POST
def floor(request: HttpRequest) -> JsonResponse:
    """Parse the JSON body and insert one row, nothing else."""
    body = json.loads(request.body)
    entry = TimelineEntry.objects.create(
        customer_id=body["customer_id"], occurred_at=timezone.now(), kind="note", summary=body.get("symptom", "")[:500]
    )
    return JsonResponse({"id": entry.pk}, status=201)


urlpatterns = [path("bench/floor/", floor), *production_urls]
