"""Spawn a real 2-process gloo group on 127.0.0.1 for a test, with a bounded wait.

`spawn(worker, world_size, tmp_path, *args)` runs ``worker(rank, world_size, *args)`` in each of
`world_size` fresh processes inside an initialized gloo process group and returns the JSON-able
values they returned, in rank order. A worker that fails fails the test with its traceback; a
group that does not finish within `timeout` seconds is killed and fails the test.
"""

import datetime
import json
import os
import socket
import time
import traceback

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank, worker, world_size, port, out_dir, args):
    torch.set_num_threads(1)
    path = os.path.join(out_dir, f"rank{rank}.json")
    try:
        dist.init_process_group(
            "gloo",
            init_method=f"tcp://127.0.0.1:{port}",
            rank=rank,
            world_size=world_size,
            timeout=datetime.timedelta(seconds=30),
        )
        try:
            result = {"ok": worker(rank, world_size, *args)}
            dist.barrier()  # no rank tears down the group while another still uses it
        finally:
            dist.destroy_process_group()
    except BaseException:
        result = {"error": traceback.format_exc()}
    with open(path, "w") as f:
        json.dump(result, f)


def spawn(worker, world_size, tmp_path, *args, timeout=60.0):
    out_dir = str(tmp_path / f"spawn-{time.monotonic_ns()}")
    os.makedirs(out_dir)
    context = mp.start_processes(
        _entry,
        args=(worker, world_size, free_port(), out_dir, args),
        nprocs=world_size,
        join=False,
        start_method="spawn",
    )
    deadline = time.monotonic() + timeout
    while not context.join(timeout=0.5):
        if time.monotonic() > deadline:
            for process in context.processes:
                if process.is_alive():
                    process.kill()
            raise AssertionError(f"the {world_size}-process group did not finish within {timeout} s")
    results = []
    for rank in range(world_size):
        with open(os.path.join(out_dir, f"rank{rank}.json")) as f:
            result = json.load(f)
        if "error" in result:
            raise AssertionError(f"rank {rank} failed:\n{result['error']}")
        results.append(result["ok"])
    return results
