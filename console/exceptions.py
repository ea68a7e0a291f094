"""Cluster errors that escape a view, and bare 405s, become Berth's error pages."""

from __future__ import annotations

import logging

from console.views import error_page
from kube import ClusterError, Forbidden, NotFound, Unavailable

logger = logging.getLogger(__name__)


class ClusterErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            # require_POST's bare 405 (a GET on a form's address, say) gets Berth's page.
            page = error_page(
                request,
                405,
                "Not here",
                "This address only takes a form's submission. Go back to the page the form is on.",
            )
            page["Allow"] = response.get("Allow", "")
            return page
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, ClusterError):
            return None
        if isinstance(exception, NotFound):
            return error_page(
                request, 404, "Not found", "There is nothing here, or you do not have access to it."
            )
        if isinstance(exception, Forbidden):
            return error_page(request, 403, "Not allowed", str(exception))
        if isinstance(exception, Unavailable):
            logger.warning("cluster unavailable: %s", exception)
            return error_page(
                request,
                503,
                "The cluster is not answering",
                f"Berth could not reach the Kubernetes cluster, so this page cannot be shown right now. "
                f"Try again in a moment. ({exception})",
            )
        return error_page(request, 400, "The cluster refused that", str(exception))
