"""Which route holds which host name, as Berth's claim: the cluster cannot refuse a second
Ingress for a host, so two requests at once could otherwise both take it."""

from __future__ import annotations

from django.db import models


class RouteHost(models.Model):
    host = models.CharField(max_length=253, primary_key=True)
    namespace = models.CharField(max_length=63, db_index=True)
    name = models.CharField(max_length=253)
    claimed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.host} → {self.namespace}/{self.name}"
