"""Fixtures shared by test folders."""

import pytest


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
