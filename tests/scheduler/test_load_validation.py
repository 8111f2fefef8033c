"""Loading validates the whole state first and changes nothing on failure (issue 14 item 6)."""

import copy

import pytest
import torch

from lrkit import Scheduler, linear, plateau, warmup
from lrkit.scheduler import ResumeError


def build():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = Scheduler(
        opt, warmup(plateau(patience=0), steps=3), hparams={"momentum": linear(1.0, 1.05)}, total=20
    )
    return opt, sched


def saved_state():
    opt, sched = build()
    for m in [1.0, 2.0, 3.0, 4.0]:
        opt.step()
        sched.step()
        sched.observe(m)
    return sched.state_dict()


HUGE = 10**400
CASES = [
    (("updates",), -1, "updates"),
    (("updates",), HUGE, "updates"),
    (("updates",), 2.5, "updates"),
    (("offset",), -1, "offset"),
    (("amount",), HUGE, "amount"),
    (("skipped",), "3", "skipped"),
    (("end",), -5.0, "end"),
    (("end",), HUGE, "end"),
    (("end",), float("nan"), "end"),
    (("updates",), KeyError, "updates"),
    (("run", "unit"), "week", "run.unit"),
    (("run", "unit"), KeyError, "run.unit"),
    (("run", "total"), 0, "run.total"),
    (("run",), KeyError, "run"),
    (("tracks", "lr", "bases"), [0.1, 0.2], "tracks['lr'].bases"),
    (("tracks", "lr", "bases"), [float("inf")], "tracks['lr'].bases[0]"),
    (("tracks", "lr", "bases"), KeyError, "tracks['lr'].bases"),
    (("tracks", "lr", "definitions"), [5], "tracks['lr'].definitions[0]"),
    (("tracks", "lr", "plateaus", 0, 0, "path"), ["nowhere"], "plateaus[0][0].path"),
    (("tracks", "lr", "plateaus", 0, 0, "bad"), -2, "plateaus[0][0].bad"),
    (("tracks", "lr", "plateaus", 0, 0, "best"), KeyError, "plateaus[0][0].best"),
    (("tracks",), KeyError, "tracks"),
    (("last_lr",), [0.1, 0.2], "last_lr"),
    (("last_lr", 0), "x", "last_lr[0]"),
    (("warned",), 1, "warned"),
    (("extensions",), [[5.0, 4.0, 10.0]], "extensions[0]"),
    (("anneal",), {"at": 1.0, "steps": 0.0, "shape": "linear", "start": [0.1], "end": [0.0]}, "anneal.steps"),
    (("anneal",), {"at": 1.0, "steps": 2.0, "shape": "zigzag", "start": [0.1], "end": [0.0]}, "anneal.shape"),
    (("scaler_scale",), -1.0, "scaler_scale"),
    (("fingerprint",), KeyError, "fingerprint"),
    (("definitions", 1, "end"), 1.02, "fingerprint"),  # an edited definition
    (("definitions", 0, "schedule", "type"), "nosuchschedule", "definitions"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"), CASES, ids=[f"{'.'.join(map(str, c[0]))}={c[1]!r}"[:60] for c in CASES]
)
def test_a_bad_field_is_named_and_nothing_changes(path, value, field, edit_state):
    state = saved_state()
    bad = copy.deepcopy(state)
    edit_state(bad, path, value)
    opt, sched = build()
    opt.step()
    sched.step()
    before = (sched.state_dict(), [dict(g, params=None) for g in opt.param_groups])
    # one ValueError naming the field (ResumeError is a ValueError); never OverflowError or KeyError
    with pytest.raises(ValueError, match=r"load_state_dict|fingerprint") as error:
        sched.load_state_dict(bad)
    assert field in str(error.value)
    assert sched.state_dict() == before[0]
    assert [dict(g, params=None) for g in opt.param_groups] == before[1]
    if field == "fingerprint" and path[0] == "definitions":
        assert isinstance(error.value, ResumeError)
    # the intact state still loads afterwards, with the saved plan
    sched.load_state_dict(state)
    assert sched.state_dict() == state


def test_a_failure_while_applying_restores_everything():
    """Bases are not in the fingerprint: momentum 0.95 * 1.05 leaves [0, 1) once resolved."""
    state = saved_state()
    bad = copy.deepcopy(state)
    bad["tracks"]["momentum"]["bases"] = [0.97]
    opt, sched = build()
    before = (sched.state_dict(), [dict(g, params=None) for g in opt.param_groups])
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        sched.load_state_dict(bad)
    assert sched.state_dict() == before[0]
    assert [dict(g, params=None) for g in opt.param_groups] == before[1]
    for _ in range(3):  # and it still steps as before
        opt.step()
        sched.step()
