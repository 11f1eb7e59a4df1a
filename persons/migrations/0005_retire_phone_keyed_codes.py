"""Requests waiting for a code when codes became bound to their request (codes were keyed by phone).

A code issued before this migration cannot be tied to the request that asked for it: any client's
code for the phone could have been the last one. So every NEW request confirmed by OTP is EXPIRED,
with an event, and the client makes a new request; OFFLINE requests are untouched. Every request gets
its client's legal entity.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery

ACTOR = "migration:codes-belong-to-their-request"


def forwards(apps, schema_editor):
    Client = apps.get_model("core", "Client")
    Event = apps.get_model("core", "Event")
    entity = Subquery(Client.objects.filter(pk=OuterRef("client_id")).values("legal_entity_id")[:1])
    AuthenticationMethodRequest = apps.get_model("persons", "AuthenticationMethodRequest")
    AuthenticationMethodRequest.objects.update(legal_entity_id=entity)
    for label, model in (
        ("persons.authenticationmethodrequest", AuthenticationMethodRequest),
        ("persons.mergerequest", apps.get_model("persons", "MergeRequest")),
    ):
        waiting = model.objects.filter(status="NEW", authentication_method_current__type="OTP")
        ids = list(waiting.values_list("pk", flat=True))
        model.objects.filter(pk__in=ids).update(status="EXPIRED", updated_by=ACTOR)
        Event.objects.bulk_create(
            Event(entity_type=label, entity_id=str(pk), property="status", old_value="NEW", new_value="EXPIRED", actor=ACTOR)
            for pk in ids
        )


class Migration(migrations.Migration):
    dependencies = [("persons", "0004_codes_belong_to_their_request"), ("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
