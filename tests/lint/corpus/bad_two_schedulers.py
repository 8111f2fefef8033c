"""Hand-made warmup: a LinearLR and a cosine both stepped on the same optimizer every batch."""

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR

from project import build_model, build_loader

EPOCHS = 20
model = build_model()
loader = build_loader()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
total = EPOCHS * len(loader)
warmup = LinearLR(optimizer, start_factor=0.1, total_iters=500)
cosine = CosineAnnealingLR(optimizer, T_max=total)

for epoch in range(EPOCHS):
    for batch in loader:
        loss = model(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        warmup.step()
        cosine.step()
