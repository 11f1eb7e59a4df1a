import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# What startup makes (Django, the apps, every view the URLconf imports) lives as long as the process.
# Frozen, it is left out of the garbage collector's full passes, which otherwise walk all of it and
# pause a request for tens of milliseconds (51 ms in-process, 9 ms frozen): the slowest answers.
import_module(settings.ROOT_URLCONF)
# The signature backend as well: pyHanko takes half a second to import, which the first sign in every
# worker would otherwise wait for (the sign's p99 under load).
import_module("declarations.signatures").get_backend()
gc.freeze()
