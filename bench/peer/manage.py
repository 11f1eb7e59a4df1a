#!/usr/bin/env python
"""The peer of `make bench`: django-phone-verify's own API in a minimal project (see settings.py)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
