"""Fixtures shared by test folders."""

import pytest

# NOTE: not collected as a module for its doctests (--doctest-modules): under the rootdir import mode
# every conftest.py is the module "conftest", and this one would clash with tests/compat/conftest.py
collect_ignore = ["conftest.py"]


def _edit_state(state, path, value):
    """Set ``state[path[0]][path[1]]...`` to `value` in place; `value` ``KeyError`` deletes the key."""
    node = state
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value


@pytest.fixture(scope="session")
def edit_state():
    """Edits one field of a saved ``state_dict`` by its path (see `_edit_state`): the loading tests
    (tests/scheduler/test_load_validation.py, the fuzzing in tests/test_fuzz.py) break states with it.
    Session-scoped so that hypothesis tests may take it."""
    return _edit_state


def _torch_lrs(make_scheduler, base_lrs, steps):
    """The lr of each group right after construction and after each of `steps - 1` steps of the
    torch scheduler `make_scheduler(optimizer)` (one SGD group per base lr): an array (steps, groups)."""
    import numpy as np
    import torch  # here, not at the top: collecting the numpy-only tests does not need torch

    params = [torch.nn.Parameter(torch.zeros(1)) for _ in base_lrs]
    optimizer = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, base_lrs, strict=True)])
    scheduler = make_scheduler(optimizer)
    out = [[g["lr"] for g in optimizer.param_groups]]
    for _ in range(steps - 1):
        optimizer.step()
        scheduler.step()
        out.append([g["lr"] for g in optimizer.param_groups])
    return np.array(out)


@pytest.fixture(scope="session")
def torch_lrs():
    """The reference rates from torch itself (see `_torch_lrs`): what the tables of the CLI and the
    preview, a race's runs and the integrations' training loops are compared with."""
    return _torch_lrs
