"""Cluster errors that escape a view, bare 405s, and (in development) Django's debug
404 and 500 pages become Berth's error pages."""

from __future__ import annotations

import logging

from django.conf import settings

from console.views import error_page, page_not_found, server_error
from kube import ClusterError, Forbidden, NotFound, Unavailable

logger = logging.getLogger(__name__)


class ClusterErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and not settings.BERTH_DEBUG_PAGES
            and response.status_code in (404, 500)
            and not getattr(response, "berth_page", False)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            # Django's debug 404 and traceback pages, in development: Berth's pages instead
            # (the traceback is in the log), unless BERTH_DEBUG_PAGES asks for Django's.
            return page_not_found(request) if response.status_code == 404 else server_error(request)
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
            if getattr(request, "berth_project", None):  # a member: the cluster's words are theirs to see
                return error_page(request, 404, "Not found", f"{exception} It may have been deleted.")
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
