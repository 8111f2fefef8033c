"""lrkit.tasks: the bundled digits tasks, the Task contract and loading a user's module:function."""

import sys
import textwrap

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.tasks import TASKS, Task, TaskError, load_task, steps_per_epoch
from lrkit.tasks.digits import Batches, digits_data


def _weights(task):
    return [p.detach().clone() for p in task.model.parameters()]


# -- the bundled task -------------------------------------------------------------------------


def test_digits_split_is_sklearns_stratified_split_with_random_state_0():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x_train, x_val, y_train, y_val = train_test_split(
        data.data, data.target, test_size=0.2, stratify=data.target, random_state=0
    )
    got = digits_data()
    np.testing.assert_array_equal(got[0].numpy(), (x_train / 16.0).astype(np.float32))
    np.testing.assert_array_equal(got[1].numpy(), y_train)
    np.testing.assert_array_equal(got[2].numpy(), (x_val / 16.0).astype(np.float32))
    np.testing.assert_array_equal(got[3].numpy(), y_val)
    assert got[0].dtype == torch.float32
    assert got[1].dtype == torch.int64


@pytest.mark.parametrize("name", sorted(TASKS))
def test_same_seed_same_weights_and_batches_other_seed_differs(name):
    a, b, c = load_task(name, seed=3), load_task(name, seed=3), load_task(name, seed=4)
    for pa, pb in zip(_weights(a), _weights(b), strict=True):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(_weights(a), _weights(c), strict=True))
    ya = torch.cat([y for _, y in a.train])
    yb = torch.cat([y for _, y in b.train])
    yc = torch.cat([y for _, y in c.train])
    assert torch.equal(ya, yb)
    assert not torch.equal(ya, yc)


@pytest.mark.parametrize("name", ["digits", "digits-cnn"])
def test_bundled_task_trains_a_classifier(name):
    task = load_task(name)
    x, y = next(iter(task.train))
    out = task.model(x)
    assert out.shape == (len(x), 10)
    loss = task.loss(out, y)
    loss.backward()
    optimizer = task.make_optimizer()
    assert isinstance(optimizer, torch.optim.SGD)
    assert optimizer.param_groups[0]["momentum"] == 0.9
    # 1437 training images in batches of 32: ceil(1437 / 32) updates per epoch.
    assert steps_per_epoch(task) == -(-1437 // 32)


def test_the_val_split_does_not_depend_on_the_seed():
    a, b = load_task("digits", seed=0), load_task("digits", seed=9)
    xa = torch.cat([x for x, _ in a.val])
    xb = torch.cat([x for x, _ in b.val])
    assert torch.equal(xa, xb)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 2**31), shuffle=st.booleans())
def test_batches_visit_every_example_once_per_pass(n, batch_size, seed, shuffle):
    batches = Batches(
        torch.arange(n), torch.arange(n) * 10, batch_size=batch_size, shuffle=shuffle, seed=seed
    )
    for _ in range(2):
        seen = list(batches)
        assert len(seen) == len(batches) == -(-n // batch_size)
        inputs = torch.cat([x for x, _ in seen])
        assert sorted(inputs.tolist()) == list(range(n))
        assert all(torch.equal(y, x * 10) for x, y in seen)
        assert all(len(x) == batch_size for x, _ in seen[:-1])


def test_batches_reshuffle_each_pass_and_check_arguments():
    batches = Batches(torch.arange(100), torch.arange(100), batch_size=100, shuffle=True, seed=0)
    first, second = (next(iter(batches))[0] for _ in range(2))
    assert not torch.equal(first, second)
    with pytest.raises(ValueError, match="same length"):
        Batches(torch.arange(3), torch.arange(4), batch_size=1)
    with pytest.raises(ValueError, match=r"Argument `batch_size` of Batches\(\) must be an int >= 1"):
        Batches(torch.arange(3), torch.arange(3), batch_size=0)


# -- the Task contract ------------------------------------------------------------------------


def _parts():
    x, y = torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)
    model = torch.nn.Linear(3, 2)
    return model, (lambda m: torch.optim.SGD(m.parameters(), lr=0.1)), [(x, y)], [(x, y)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("model", "not a model", "torch.nn.Module"),
        ("optimizer", 3, "callable optimizer"),
        ("train", iter([]), "not an iterator"),
        ("val", 5, "re-iterable loader"),
        ("loss", None, "callable loss"),
    ],
)
def test_task_rejects_bad_fields(field, value, message):
    model, optimizer, train, val = _parts()
    fields = {"model": model, "optimizer": optimizer, "train": train, "val": val, "loss": torch.nn.MSELoss()}
    fields[field] = value
    with pytest.raises(TypeError, match=rf"Argument `{field}` of Task\(\) must be .*{message}"):
        Task(**fields)


def test_make_optimizer_reports_a_failing_or_wrong_factory():
    model, _, train, val = _parts()

    def boom(m):
        raise RuntimeError("no optimizer today")

    with pytest.raises(TaskError, match="optimizer factory of task 'toy' failed: RuntimeError: no optimizer"):
        Task(model, boom, train, val, torch.nn.MSELoss(), name="toy").make_optimizer()
    with pytest.raises(TaskError, match=r"must return a torch\.optim\.Optimizer"):
        Task(model, lambda m: "sgd", train, val, torch.nn.MSELoss(), name="toy").make_optimizer()


def test_steps_per_epoch_counts_a_loader_without_len_and_rejects_an_empty_one():
    model, optimizer, train, val = _parts()

    class Loader:
        def __iter__(self):
            yield from train * 3

    assert steps_per_epoch(Task(model, optimizer, Loader(), val, torch.nn.MSELoss())) == 3
    with pytest.raises(TaskError, match="empty"):
        steps_per_epoch(Task(model, optimizer, [], val, torch.nn.MSELoss()))


# -- user tasks ---------------------------------------------------------------------------------

USER_MODULE = textwrap.dedent(
    """
    import torch

    CALLS = []

    def _loaders():
        x = torch.randn(8, 3)
        y = torch.randint(0, 2, (8,))
        return [(x, y)], [(x, y)]

    def make(seed):
        CALLS.append(seed)
        model = torch.nn.Linear(3, 2)
        loss = torch.nn.functional.cross_entropy
        return model, lambda m: torch.optim.SGD(m.parameters(), lr=0.1), _loaders(), loss

    def no_seed():
        return make(0)

    def boom():
        raise RuntimeError("the data is not there")

    def wrong():
        return 42

    def bad_loaders():
        model, opt, loaders, loss = make(0)
        return model, opt, loaders[0], loss

    def iterator_loader():
        model, opt, loaders, loss = make(0)
        return model, opt, (iter(loaders[0]), loaders[1]), loss

    NOT_CALLABLE = 3
    """
)


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "lrkit_test_user_task.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lrkit_test_user_task"
    sys.modules.pop("lrkit_test_user_task", None)


def test_user_task_gets_the_seed_and_torch_is_seeded(user_module):
    a = load_task(f"{user_module}:make", seed=5)
    b = load_task(f"{user_module}:make", seed=5)
    assert sys.modules[user_module].CALLS == [5, 5]
    assert isinstance(a, Task)
    assert a.name == f"{user_module}:make"
    assert torch.equal(a.model.weight, b.model.weight)
    assert load_task(f"{user_module}:no_seed").name.endswith(":no_seed")


def test_user_task_from_a_file_path(tmp_path):
    path = tmp_path / "my_task_file.py"
    path.write_text(USER_MODULE)
    task = load_task(f"{path}:make", seed=1)
    assert isinstance(task.model, torch.nn.Linear)


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("boom", r"task '.*:boom' failed: RuntimeError: the data is not there"),
        ("wrong", r"must return a lrkit.tasks.Task or the tuple .*Received: int"),
        ("bad_loaders", r"loaders as a pair \(train_loader, val_loader\)"),
        ("iterator_loader", r"returned a bad task: .*not an iterator"),
        ("missing", r"has no attribute 'missing'"),
        ("NOT_CALLABLE", r"'NOT_CALLABLE' is not callable"),
    ],
)
def test_user_task_errors(user_module, function, message):
    with pytest.raises(TaskError, match=message):
        load_task(f"{user_module}:{function}")


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ("mnist", r"Argument `task` of load_task\(\) must be one of 'charlm', 'digits', 'digits-cnn' or a"),
        ("no_such_module_xyz:make", r"cannot import the module of task .*ModuleNotFoundError"),
        ("missing_file.py:make", r"task file 'missing_file.py' does not exist"),
        (":make", r"must read 'module:function'"),
    ],
)
def test_unknown_tasks(task, message):
    with pytest.raises(TaskError, match=message):
        load_task(task)


def test_task_errors_are_value_errors_and_types_are_checked():
    assert issubclass(TaskError, ValueError)
    with pytest.raises(TypeError, match="must be a string"):
        load_task(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Argument `seed` of load_task\(\) must be an int >= 0"):
        load_task("digits", seed=-1)
