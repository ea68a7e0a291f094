"""When a workload action may say it succeeded: the rollout's state from the Deployment
and its new pods, as the cluster reports them."""

from workloads.cluster import Rollout, rollout_state


def deployment(
    replicas=3, generation=2, observed=2, updated=3, available=3, total=3, paused=False, conditions=()
):
    return {
        "metadata": {"name": "web", "generation": generation},
        "spec": {"replicas": replicas, "paused": paused},
        "status": {
            "observedGeneration": observed,
            "updatedReplicas": updated,
            "availableReplicas": available,
            "replicas": total,
            "conditions": list(conditions),
        },
    }


def pod(name="web-1", waiting=None, unschedulable=None):
    status = {"containerStatuses": [{"name": "web", "state": {"waiting": waiting} if waiting else {}}]}
    if unschedulable:
        status["conditions"] = [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": unschedulable}
        ]
    return {"metadata": {"name": name}, "status": status}


def test_done_only_when_every_new_pod_is_available_and_the_old_ones_are_gone():
    assert rollout_state(deployment(), []) == Rollout(desired=3, ready=3, done=True)
    # The controller has not seen the change yet.
    assert not rollout_state(deployment(observed=1), []).done
    # Old pods still running beside the new ones.
    assert not rollout_state(deployment(total=4), []).done
    state = rollout_state(deployment(updated=3, available=2), [])
    assert (state.done, state.ready, state.text, state.percent) == (False, 2, "2 of 3 pods ready", 66)
    assert rollout_state(deployment(replicas=0, updated=0, available=0, total=0), []).done
    assert (
        rollout_state(deployment(replicas=1, updated=1, available=1, total=1), []).text == "1 of 1 pod ready"
    )


def test_a_paused_deployment_is_done_when_its_replicas_are_available():
    # Paused with a template change pending: nothing is "updated", yet a scale has happened.
    assert rollout_state(deployment(paused=True, updated=0, available=3, total=3), []).done
    assert not rollout_state(deployment(paused=True, updated=0, available=2, total=3), []).done


def test_the_clusters_reason_is_the_problem():
    quota = {
        "type": "ReplicaFailure",
        "status": "True",
        "reason": "FailedCreate",
        "message": 'pods "web-5f-x" is forbidden: exceeded quota: compute, requested: cpu=100m',
    }
    state = rollout_state(deployment(replicas=12, updated=7, available=7, total=7, conditions=[quota]), [])
    assert state.problem == (
        'the cluster refused to create its pods: pods "web-5f-x" is forbidden: exceeded quota: compute, '
        "requested: cpu=100m"
    )
    assert state.text == "7 of 12 pods ready"
    deadline = {
        "type": "Progressing",
        "status": "False",
        "reason": "ProgressDeadlineExceeded",
        "message": 'ReplicaSet "web-5f" has timed out progressing.',
    }
    assert rollout_state(deployment(available=1, conditions=[deadline]), []).problem == (
        'ReplicaSet "web-5f" has timed out progressing.'
    )
    pulling = pod(waiting={"reason": "ImagePullBackOff", "message": 'Back-off pulling image "nope:1"'})
    assert rollout_state(deployment(available=0), [pod("web-0"), pulling]).problem == (
        'pod web-1: ImagePullBackOff: Back-off pulling image "nope:1"'
    )
    stuck = pod(unschedulable="0/3 nodes are available: 3 Insufficient cpu.")
    assert rollout_state(deployment(available=0), [stuck]).problem == (
        "pod web-1: can't be scheduled: 0/3 nodes are available: 3 Insufficient cpu."
    )
    # Still creating its container: no problem, just not done.
    assert (
        rollout_state(deployment(available=0), [pod(waiting={"reason": "ContainerCreating"})]).problem == ""
    )
    # A done rollout has no problem, whatever an old condition says.
    assert rollout_state(deployment(conditions=[quota]), []).problem == ""
