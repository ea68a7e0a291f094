"""Host names are claimed in Berth's database before a route takes them.

The unique row is what makes taking a host atomic: of two routes asking for one host at
once, one inserts the row and the other is refused. A claim whose route no longer uses
the host (deleted or changed outside Berth) is taken over. Routes made outside Berth are
not in the table: the cluster-wide scan (``cluster.host_owner``) still refuses those.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from networking import cluster as cluster_networking
from networking.models import RouteHost

CLAIM_GRACE = timedelta(minutes=1)


class HostTaken(Exception):
    """The host belongs to another route (the message says which, when it is in this project)."""


def claim(*, namespace: str, name: str, host: str) -> None:
    """Take ``host`` for the route ``namespace/name``, or raise HostTaken."""
    try:
        with transaction.atomic():
            RouteHost.objects.create(host=host, namespace=namespace, name=name)
    except IntegrityError:
        holder = RouteHost.objects.filter(host=host).first()
        if holder is not None and (holder.namespace, holder.name) != (namespace, name):
            if _still_used(holder):
                owner = (holder.namespace, holder.name)
                raise HostTaken(
                    cluster_networking.taken_message(host, owner=owner, namespace=namespace)
                ) from None
            # A stale claim: taken over only if nobody else took it over meanwhile.
            taken_over = RouteHost.objects.filter(
                host=host, namespace=holder.namespace, name=holder.name
            ).update(namespace=namespace, name=name)
            if not taken_over:
                raise HostTaken(
                    f"{host} was just taken by another route. Choose another host name."
                ) from None
    # One host per route: the route's earlier host is free again.
    RouteHost.objects.filter(namespace=namespace, name=name).exclude(host=host).delete()
    message = cluster_networking.host_taken_message(host, namespace=namespace, name=name)
    if message:
        release(namespace=namespace, name=name)
        raise HostTaken(message)


def route_create(identity, *, namespace: str, spec: cluster_networking.RouteSpec) -> None:
    """Claim the host, then create the route; a route that could not be made frees it."""
    claim(namespace=namespace, name=spec.name, host=spec.host)
    try:
        cluster_networking.route_create(identity, namespace=namespace, spec=spec)
    except Exception:
        release(namespace=namespace, name=spec.name)
        raise


def release(*, namespace: str, name: str) -> None:
    RouteHost.objects.filter(namespace=namespace, name=name).delete()


def _still_used(holder: RouteHost) -> bool:
    """A claim counts while its route uses the host, and in its first minute (the route is
    being made: the window in which two requests would otherwise both win)."""
    if timezone.now() - holder.claimed_at < CLAIM_GRACE:
        return True
    return (holder.namespace, holder.name) in cluster_networking.routes_using(holder.host)
