"""Resume that restarts its warmup: the scheduler's state is saved but never loaded."""
import argparse
import math

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--load_step", type=int, default=0)
args = parser.parse_args()

model = torch.nn.Linear(16, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
if args.load_step > 0:
    ckpt = torch.load(f"ckpt/{args.load_step}.pt")
    model.load_state_dict(ckpt["model"])
warmup = torch.optim.lr_scheduler.LambdaLR(
    optimizer, lambda n: n / 1000 if n < 1000 else 1 / math.sqrt(n / 1000)
)
loader = torch.utils.data.DataLoader(torch.randn(512, 16), batch_size=32)

for epoch in range(3):
    for step, batch in enumerate(loader, args.load_step + 1):
        loss = model(batch).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        warmup.step()
        if step % 100 == 0:
            torch.save(
                {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "warmup": warmup.state_dict()},
                f"ckpt/{step}.pt",
            )
