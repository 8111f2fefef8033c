"""The bundled language-model task: fixed text and vocabulary, deterministic given the seed."""

import hashlib
import importlib
import math
import sysconfig
from pathlib import Path

import pytest
import torch

from lrkit.compare import evaluate, train_run, validation_size
from lrkit.tasks import TASKS, load_task, updates_per_epoch
from lrkit.tasks.charlm import (
    CONTEXT,
    TRAIN_FILES,
    VAL_FILES,
    VOCAB,
    CharTransformer,
    TextWindows,
    decode,
    encode,
    stdlib_text,
)


def test_it_is_a_bundled_task_with_its_own_race_length():
    assert "charlm" in TASKS
    task = load_task("charlm", seed=0)
    assert task.epochs == 20
    assert updates_per_epoch(task) == 25
    assert isinstance(task.make_optimizer(), torch.optim.AdamW)


def test_the_vocabulary_is_fixed_and_does_not_depend_on_the_text():
    assert "\n" + "".join(chr(c) for c in range(32, 127)) == VOCAB
    assert len(VOCAB) == 96
    assert decode(encode("def f(x):\n\treturn x  # é")) == "def f(x):\n    return x  # ?"


def test_the_text_is_the_named_stdlib_files_in_the_listed_order():
    folder = Path(sysconfig.get_paths()["stdlib"])
    train, val, digest = stdlib_text()
    expected_train = "\n".join((folder / name).read_text(encoding="utf-8") for name in TRAIN_FILES)
    expected_val = "\n".join((folder / name).read_text(encoding="utf-8") for name in VAL_FILES)
    assert torch.equal(train, encode(expected_train))
    assert torch.equal(val, encode(expected_val))
    assert digest == hashlib.sha256(f"{expected_train}\0{expected_val}".encode()).hexdigest()
    assert not set(TRAIN_FILES) & set(VAL_FILES)


def test_the_text_does_not_list_directories(monkeypatch):
    # Independent of the file system's order: the files are named, never listed.
    stdlib_text.cache_clear()

    def refuse(*args, **kwargs):
        raise AssertionError("a directory was listed")

    monkeypatch.setattr(Path, "iterdir", refuse)
    monkeypatch.setattr(Path, "glob", refuse)
    monkeypatch.setattr("os.listdir", refuse)
    monkeypatch.setattr("os.scandir", refuse)
    try:
        stdlib_text()
    finally:
        stdlib_text.cache_clear()


def test_a_missing_stdlib_file_is_a_task_error(monkeypatch, tmp_path):
    from lrkit.tasks import TaskError

    stdlib_text.cache_clear()
    module = importlib.import_module("lrkit.tasks.charlm")
    monkeypatch.setattr(module.sysconfig, "get_paths", lambda: {"stdlib": str(tmp_path)})
    try:
        with pytest.raises(TaskError, match=r"argparse\.py cannot be read"):
            load_task("charlm")
    finally:
        stdlib_text.cache_clear()


def test_same_seed_same_weights_and_windows_other_seed_others():
    a, b, c = load_task("charlm", seed=3), load_task("charlm", seed=3), load_task("charlm", seed=4)
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not torch.equal(next(a.model.parameters()), next(c.model.parameters()))
    for _ in range(2):  # two passes: each pass draws new windows, the same in both copies
        batches_a, batches_b, batches_c = list(a.train), list(b.train), list(c.train)
        assert all(torch.equal(x, y) for (x, _), (y, _) in zip(batches_a, batches_b, strict=True))
        assert not torch.equal(batches_a[0][0], batches_c[0][0])


def test_windows_are_text_and_targets_the_next_characters():
    tokens = torch.arange(1000)
    for x, y in TextWindows(tokens, batches=3, batch_size=4, context=CONTEXT, seed=1):
        assert torch.equal(y, x + 1)  # consecutive tokens: the next one
        assert x.shape == (4, CONTEXT)


def test_the_validation_set_is_fixed_and_its_size_known():
    a, b = load_task("charlm", seed=0), load_task("charlm", seed=7)
    assert all(torch.equal(x, y) for (x, _), (y, _) in zip(a.val, b.val, strict=True))
    assert validation_size(a) == 128 * CONTEXT == 4096


def test_the_model_is_causal():
    model = CharTransformer().eval()
    x = torch.randint(0, 96, (2, CONTEXT))
    y = x.clone()
    y[:, 20:] = (y[:, 20:] + 1) % 96
    with torch.no_grad():
        assert torch.allclose(model(x)[:, :20], model(y)[:, :20], atol=1e-6)
        assert not torch.allclose(model(x)[:, 20:], model(y)[:, 20:])


def test_untrained_loss_is_near_uniform_and_a_short_run_learns():
    from lrkit import parse

    task = load_task("charlm", seed=0)
    loss, accuracy = evaluate(task)
    assert abs(loss - math.log(96)) < 0.5
    assert 0.0 <= accuracy <= 1.0
    run = train_run(task, parse("warmup(cosine(), steps=0.2)"), seed=0, epochs=2, steps_per_epoch=25)
    assert len(run.lr) == len(run.train_loss) == 50
    assert run.val_loss[-1] < loss - 1.0
