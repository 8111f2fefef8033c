"""find_lr under torch.distributed: two gloo processes on CPU record the same curve and stop together."""

import json
import subprocess
import sys
import textwrap

import pytest

WORKER = textwrap.dedent(
    """
    import json, sys
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel as DDP
    from lrkit.finder import find_lr

    def work(rank, world, init, out, scenario):
        dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
        torch.manual_seed(0)
        model = DDP(torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        g = torch.Generator().manual_seed(100 + rank)  # each rank its own shard
        x = torch.randn(128, 8, generator=g)
        y = (x[:, :3] * torch.tensor([1.0, -1.0, 0.5])).argmax(1)
        loader = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 128, 16)]
        before = [p.detach().clone() for p in model.parameters()]
        calls = []

        def step(model, batch):
            calls.append(1)
            loss = F.cross_entropy(model(batch[0]), batch[1])
            if scenario == "nan" and rank == 1 and len(calls) == 7:
                return loss * float("nan")
            return loss

        diverging = scenario == "diverge"
        result = find_lr(model, optimizer, loader=loader, step=step, start=1e-4,
                         end=1e3 if diverging else 1.0, steps=40, diverge=4.0 if diverging else None,
                         progress=False)
        restored = all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
        with open(f"{out}/{scenario}-{rank}.json", "w") as f:
            json.dump({"lrs": result.lrs.tolist(), "losses": result.losses.tolist(),
                       "stop": result.stop_reason, "lr": result.lr, "restored": restored}, f)
        dist.barrier()  # no rank tears down the group while another still uses it
        dist.destroy_process_group()

    if __name__ == "__main__":
        out, scenario = sys.argv[1], sys.argv[2]
        mp.spawn(work, args=(2, f"file://{out}/init-{scenario}", out, scenario), nprocs=2, join=True)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["diverge", "nan"])
def test_two_ranks_record_the_same_curve_and_stop_together(tmp_path, scenario):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    subprocess.run([sys.executable, str(script), str(tmp_path), scenario], check=True, timeout=300)
    rank0 = json.loads((tmp_path / f"{scenario}-0.json").read_text())
    rank1 = json.loads((tmp_path / f"{scenario}-1.json").read_text())
    assert rank0 == rank1  # same curve, same stop, same suggestion, from different shards
    assert rank0["restored"]
    if scenario == "diverge":
        assert rank0["stop"].startswith(("diverged", "non-finite"))
        assert len(rank0["lrs"]) < 40
    else:
        assert rank0["stop"].startswith("non-finite loss (nan)")  # rank 1's NaN stops rank 0 too
        assert len(rank0["lrs"]) == 6
