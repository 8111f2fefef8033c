"""Warmup then cosine by hand: only one of the two schedulers is stepped in any epoch."""

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR

from project import build_model, build_loader

EPOCHS = 100
WARMUP = 5
model = build_model()
loader = build_loader()
optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
warmup = LinearLR(optimizer, start_factor=0.05, total_iters=WARMUP)
cosine = CosineAnnealingLR(optimizer, T_max=EPOCHS - WARMUP)

for epoch in range(EPOCHS):
    for images, labels in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()
    if epoch < WARMUP:
        warmup.step()
    else:
        cosine.step()
