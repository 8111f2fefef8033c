"""Configs: plain data, round trips, fingerprints, and loading that never executes code."""

import json

import pytest

from lrkit import absolute, constant, cosine, fingerprint, from_config, sequence, warmup


def _is_plain(value):
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def test_config_is_plain_json_and_round_trips():
    s = sequence([warmup(cosine(end=absolute(1e-4)), steps=0.1), constant(0.5)], [0.8])
    config = s.to_config()
    assert _is_plain(config)
    assert from_config(config) == s
    assert from_config(json.dumps(config)) == s


def test_unknown_type_or_key_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown schedule 'cosin'; did you mean cosine"):
        from_config({"type": "cosin"})
    with pytest.raises(ValueError, match="unknown argument 'ends' for cosine"):
        from_config({"type": "cosine", "ends": 0.1})
    with pytest.raises(ValueError, match="needs a 'type' key"):
        from_config({"end": 0.1})
    with pytest.raises(TypeError):
        from_config({"type": "cosine", "end": {1, 2}})


def test_config_cannot_name_arbitrary_callables():
    with pytest.raises(ValueError, match="unknown schedule"):
        from_config({"type": "os.system", "command": "echo hacked"})


def test_fingerprint_is_stable_and_sensitive():
    a = warmup(cosine(end=0.1), steps=2)
    assert fingerprint(a) == fingerprint(from_config(a.to_config()))
    assert fingerprint(a) != fingerprint(warmup(cosine(end=0.1), steps=3))
    assert len(fingerprint(a)) == 16


def _nested(depth):
    config = {"type": "cosine"}
    for _ in range(depth):
        config = {"type": "scale", "schedule": config, "factor": 1.0}
    return config


def test_a_config_that_contains_itself_is_a_value_error():
    """Issue 14 item 5: a cycle was a RecursionError."""
    loop = {"type": "scale", "factor": 0.5}
    loop["schedule"] = loop
    with pytest.raises(ValueError, match="must not contain itself"):
        from_config(loop)
    phases = [constant(1.0).to_config()]
    phases.append(phases)
    with pytest.raises(ValueError, match="must not contain itself"):
        from_config({"type": "sequence", "phases": phases, "boundaries": [1]})


@pytest.mark.parametrize("depth", [201, 5000, 100_000])
def test_a_config_nested_too_deeply_is_a_value_error(depth):
    """Issue 14 item 5: deep data (or deep JSON text, which json itself recursed on) was a RecursionError."""
    with pytest.raises(ValueError, match="nested at most 200 levels deep"):
        from_config(_nested(depth))
    with pytest.raises(ValueError, match="nested at most 200 levels deep"):
        from_config("[" * depth + "]" * depth)


def test_a_config_as_deep_as_a_spec_can_be_still_loads():
    schedule = from_config(_nested(199))
    assert from_config(json.dumps(schedule.to_config())) == schedule
    assert schedule.resolve(total=10)(5.0) == pytest.approx(0.5)
