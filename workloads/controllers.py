"""StatefulSets, Jobs and CronJobs on the cluster: what their lists and pages show, their
pods, and running a CronJob now (as ``kubectl create job --from=cronjob/<name>`` does)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime

from kube.client import Identity, api, call, parse_time
from workloads.cluster import PodSummary, pod_summary

# The kinds, by the word Berth's URLs use: (label, plural).
KINDS = {
    "statefulset": ("StatefulSet", "StatefulSets"),
    "job": ("Job", "Jobs"),
    "cronjob": ("CronJob", "CronJobs"),
}
MANUAL = "cronjob.kubernetes.io/instantiate"  # kubectl's mark of a Job run by hand


@dataclass(frozen=True)
class Controller:
    kind: str  # "statefulset", "job" or "cronjob"
    name: str
    status: str  # Ready, Progressing, Running, Complete, Failed, Suspended, Scheduled, Active
    progress: str  # "2/3 ready", "1/1 succeeded", "*/5 * * * *"
    images: tuple[str, ...]
    created: datetime | None
    selector: dict[str, str] = field(default_factory=dict)  # its pods' labels (none for a CronJob)
    facts: tuple[tuple[str, str], ...] = ()  # the rest its page shows
    problem: str = ""  # a failed Job's reason, in the cluster's words

    @property
    def label(self) -> str:
        return KINDS[self.kind][0]


def _raw(fn, *args, **kwargs) -> dict:
    return json.loads(call(fn, *args, _preload_content=False, **kwargs).data)


def _images(pod_spec: dict) -> tuple[str, ...]:
    return tuple(c.get("image", "") for c in pod_spec.get("containers") or ())


def _when(value: str | None) -> str:
    moment = parse_time(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"


def statefulset_summary(obj: dict) -> Controller:
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    ready, updated = status.get("readyReplicas") or 0, status.get("updatedReplicas") or 0
    settled = ready == wanted and updated == wanted and status.get("replicas", 0) == wanted
    claims = spec.get("volumeClaimTemplates") or ()
    return Controller(
        kind="statefulset",
        name=meta["name"],
        status="Ready" if settled else "Progressing",
        progress=f"{ready}/{wanted} ready",
        images=_images(spec["template"]["spec"]),
        created=parse_time(meta.get("creationTimestamp")),
        selector=(spec.get("selector") or {}).get("matchLabels") or {},
        facts=(
            ("Service", spec.get("serviceName") or "—"),
            ("Update strategy", (spec.get("updateStrategy") or {}).get("type", "RollingUpdate")),
            ("Volume claims", ", ".join(t["metadata"]["name"] for t in claims) or "none"),
        ),
    )


def job_summary(obj: dict) -> Controller:
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    conditions = {c["type"]: c for c in status.get("conditions") or () if c.get("status") == "True"}
    failed_condition = conditions.get("Failed") or conditions.get("FailureTarget")
    if "Complete" in conditions or "SuccessCriteriaMet" in conditions:
        state = "Complete"
    elif failed_condition:
        state = "Failed"
    elif spec.get("suspend"):
        state = "Suspended"
    else:
        state = "Running" if status.get("active") else "Pending"
    completions = spec.get("completions")
    succeeded, failed = status.get("succeeded") or 0, status.get("failed") or 0
    progress = f"{succeeded}/{completions} succeeded" if completions else f"{succeeded} succeeded"
    if failed:
        progress += f", {failed} failed"
    owners = [o for o in meta.get("ownerReferences") or () if o.get("kind") == "CronJob"]
    made_by = "—"
    if owners:
        by_hand = MANUAL in (meta.get("annotations") or {})
        made_by = f"CronJob {owners[0]['name']}" + (" (run by hand)" if by_hand else "")
    return Controller(
        kind="job",
        name=meta["name"],
        status=state,
        progress=progress,
        images=_images(spec["template"]["spec"]),
        created=parse_time(meta.get("creationTimestamp")),
        selector=(spec.get("selector") or {}).get("matchLabels") or {},
        facts=(
            ("Started", _when(status.get("startTime"))),
            ("Finished", _when(status.get("completionTime")) if status.get("completionTime") else "—"),
            ("Parallelism", str(spec.get("parallelism", 1))),
            ("Retries", f"{failed} of {spec.get('backoffLimit', 6)}"),
            ("Made by", made_by),
        ),
        problem=(failed_condition or {}).get("message") or (failed_condition or {}).get("reason") or "",
    )


def cronjob_summary(obj: dict) -> Controller:
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    active = status.get("active") or ()
    state = "Suspended" if spec.get("suspend") else "Active" if active else "Scheduled"
    zone = f" ({spec['timeZone']})" if spec.get("timeZone") else ""
    template = spec["jobTemplate"]["spec"]["template"]["spec"]
    return Controller(
        kind="cronjob",
        name=meta["name"],
        status=state,
        progress=spec.get("schedule", ""),
        images=_images(template),
        created=parse_time(meta.get("creationTimestamp")),
        facts=(
            ("Schedule", spec.get("schedule", "") + zone),
            ("Last scheduled", _when(status.get("lastScheduleTime"))),
            ("Last succeeded", _when(status.get("lastSuccessfulTime"))),
            ("Running jobs", ", ".join(a.get("name", "") for a in active) or "none"),
            ("Concurrency", spec.get("concurrencyPolicy", "Allow")),
        ),
    )


_SUMMARIES = {"statefulset": statefulset_summary, "job": job_summary, "cronjob": cronjob_summary}


def _calls(identity: Identity, kind: str):
    apps, batch = api(identity, "apps"), api(identity, "batch")
    return {
        "statefulset": (apps.list_namespaced_stateful_set, apps.read_namespaced_stateful_set),
        "job": (batch.list_namespaced_job, batch.read_namespaced_job),
        "cronjob": (batch.list_namespaced_cron_job, batch.read_namespaced_cron_job),
    }[kind]


def controller_list(identity: Identity, *, namespace: str, kind: str) -> list[Controller]:
    """The project's objects of ``kind``, as the person, by name."""
    items = _raw(_calls(identity, kind)[0], namespace)["items"]
    return sorted((_SUMMARIES[kind](i) for i in items), key=lambda c: c.name)


def controller_read(identity: Identity, *, namespace: str, kind: str, name: str) -> Controller:
    return _SUMMARIES[kind](_raw(_calls(identity, kind)[1], name, namespace))


def pods_of(identity: Identity, *, namespace: str, selector: dict[str, str]) -> list[PodSummary]:
    """The pods a StatefulSet or Job made (by its selector's labels), as the person."""
    if not selector:
        return []
    text = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    pods = _raw(api(identity, "core").list_namespaced_pod, namespace, label_selector=text)["items"]
    return sorted((pod_summary(p) for p in pods), key=lambda p: p.name)


def jobs_of_cronjob(identity: Identity, *, namespace: str, name: str) -> list[Controller]:
    """The Jobs a CronJob made (on schedule or by hand), newest first."""
    jobs = _raw(api(identity, "batch").list_namespaced_job, namespace)["items"]
    mine = [
        j
        for j in jobs
        if any(
            o.get("kind") == "CronJob" and o.get("name") == name
            for o in j["metadata"].get("ownerReferences") or ()
        )
    ]
    summaries = [job_summary(j) for j in mine]
    return sorted(summaries, key=lambda j: j.created.timestamp() if j.created else 0, reverse=True)


def manual_job_name(cronjob: str, now: float | None = None) -> str:
    """``<cronjob>-manual-<unix time>``, within a Job name's 63 characters."""
    return f"{cronjob[:45]}-manual-{int(now if now is not None else time.time())}"


def cronjob_run(identity: Identity, *, namespace: str, name: str, job: str) -> None:
    """Make the Job ``job`` from the CronJob's template now, as the person, owned by the
    CronJob (as kubectl does: its history shows it, and deleting the CronJob takes it)."""
    batch = api(identity, "batch")
    cronjob = _raw(batch.read_namespaced_cron_job, name, namespace)
    template = cronjob["spec"]["jobTemplate"]
    meta = template.get("metadata") or {}
    body = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job,
            "labels": meta.get("labels") or {},
            "annotations": {**(meta.get("annotations") or {}), MANUAL: "manual"},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": name,
                    "uid": cronjob["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": template["spec"],
    }
    call(batch.create_namespaced_job, namespace, body)
