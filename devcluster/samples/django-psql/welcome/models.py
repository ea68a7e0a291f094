from django.db import models


class PageView(models.Model):
    """A visit of the welcome page."""

    visited_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Page view at {self.visited_at:%Y-%m-%d %H:%M:%S}"
