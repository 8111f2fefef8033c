"""Hand-made warmup: a LambdaLR warmup and a cosine both stepped on the same optimizer every batch.

The LambdaLR writes base_lr * f(t) at each step, erasing the cosine's decay (torch composes only
chainable schedulers stepped side by side)."""

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR

from project import build_model, build_loader

EPOCHS = 20
model = build_model()
loader = build_loader()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
total = EPOCHS * len(loader)
warmup = LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 500))
cosine = CosineAnnealingLR(optimizer, T_max=total)

for epoch in range(EPOCHS):
    for batch in loader:
        loss = model(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        warmup.step()
        cosine.step()
