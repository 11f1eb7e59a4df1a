"""`{% start_page as start %}`: the start page's data (core.backoffice) for the admin index."""

from django import template

from core import backoffice

register = template.Library()


@register.simple_tag(takes_context=True)
def start_page(context):
    return backoffice.start_page(context["request"])
