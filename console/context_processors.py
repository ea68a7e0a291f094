"""What every page's layout needs."""

from __future__ import annotations

# A project's sections (the tab name its pages give projects/_header.html, the label,
# the URL's name, the keyboard shortcut): the sidebar and the breadcrumbs inside a project.
PROJECT_SECTIONS = (
    ("overview", "Overview", "projects:detail", "g o"),
    ("pods", "Pods", "workloads:pods", "g p"),
    ("deployments", "Deployments", "workloads:deployments", "g d"),
    ("statefulsets", "StatefulSets", "workloads:statefulsets", "g t"),
    ("jobs", "Jobs", "workloads:jobs", "g j"),
    ("cronjobs", "CronJobs", "workloads:cronjobs", "g k"),
    ("services", "Services", "networking:services", "g s"),
    ("routes", "Routes", "networking:routes", "g r"),
    ("volumes", "Volumes", "storage:volumes", "g v"),
    ("config", "Secrets and ConfigMaps", "configs:list", "g c"),
    ("builds", "Builds", "builds:list", "g b"),
    ("images", "Images", "images:list", "g i"),
    ("events", "Events", "workloads:events", "g e"),
    ("members", "Members", "projects:members", "g m"),
    ("activity", "Activity", "projects:activity", "g a"),
)


def navigation(request) -> dict:
    return {"project_sections": PROJECT_SECTIONS}
