"""PostgreSQL computes the seed chain's SHA-256 with Django's SHA256 function, which there is pgcrypto's
`digest` (a trusted extension: the database's owner may create it). Other databases need nothing."""

from django.contrib.postgres.operations import CryptoExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("declarations", "0006_seed_chain_head")]

    operations = [CryptoExtension()]
