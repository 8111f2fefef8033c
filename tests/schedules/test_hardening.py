"""Issue 14's defects, one test each: huge ints, overflow, unclear messages, deep configs, time."""

import pytest

import lrkit
from lrkit import cosine, noise, restarts

HUGE = 10**400


@pytest.mark.parametrize(
    "build",
    [
        lambda: cosine(end=HUGE),
        lambda: cosine(start=-HUGE),
        lambda: cosine(steps=HUGE),
        lambda: cosine().resolve(HUGE),
        lambda: restarts(cosine(), period=2, limit=HUGE),
        lambda: noise(cosine(steps=3), end=HUGE),
        lambda: lrkit.parse(f"StepLR(step_size={HUGE})"),
        lambda: lrkit.parse(f"cosine(end={HUGE})"),
    ],
)
def test_huge_ints_are_value_errors(build):
    """Item 1: an int past the float range (or past 2**53 steps) is a ValueError, never an OverflowError."""
    huge = r"(2\*\*53|finite number).*Received: \w+=<an int of about 401 digits>"
    with pytest.raises(ValueError, match=huge):
        build()


def test_steps_up_to_2_53_are_accepted():
    assert cosine(steps=2**53).resolve()(2.0**52) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"`steps` of cosine\(\) must be an int in \[1, 2\*\*53\]"):
        cosine(steps=2**53 + 1)


def test_huge_ints_in_compat_classes_are_value_errors():
    """Item 1 through lrkit.compat (torch's class names)."""
    torch = pytest.importorskip("torch")
    from lrkit import compat

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=r"`step_size` of StepLR\(\).*<an int of about 401 digits>"):
        compat.StepLR(opt, step_size=HUGE)
    with pytest.raises(ValueError, match=r"`T_max` of CosineAnnealingLR\(\).*<an int of about 401 digits>"):
        compat.CosineAnnealingLR(opt, T_max=HUGE)
