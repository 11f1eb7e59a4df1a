"""`{% start_page as start %}`: the start page's data (core.backoffice.start) for the admin index."""

from django import template

from core.backoffice import start

register = template.Library()


@register.simple_tag(takes_context=True)
def start_page(context):
    return start.start_page(context["request"])
