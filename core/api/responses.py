from rest_framework.response import Response


class EnvelopeResponse(Response):
    """A DRF response that also carries the envelope's optional `urgent` or `paging` parts."""

    def __init__(self, data=None, status=None, *, urgent=None, paging=None, headers=None):
        super().__init__(data, status=status, headers=headers)
        self.urgent = urgent
        self.paging = paging
