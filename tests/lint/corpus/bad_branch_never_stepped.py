"""A scheduler chosen by name; the step-decay branch is never stepped."""
import argparse

import torch
from torch.optim import lr_scheduler

parser = argparse.ArgumentParser()
parser.add_argument("--sched", choices=["cosine", "step"], default="cosine")
parser.add_argument("--epochs", type=int, default=90)
args = parser.parse_args()

model = torch.nn.Linear(16, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
if args.sched == "cosine":
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
elif args.sched == "step":
    scheduler = lr_scheduler.StepLR(optimizer, step_size=30)

for epoch in range(args.epochs):
    for x in torch.randn(10, 4, 16):
        loss = model(x).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    if args.sched == "cosine":
        scheduler.step()
