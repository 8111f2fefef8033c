"""SGDR with per-batch fractional epochs, the use torch documents for CosineAnnealingWarmRestarts."""

import torch
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts

model = torch.nn.Linear(100, 10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=10, T_mult=2, eta_min=1e-4)
iters = len(train_loader)

for epoch in range(70):
    for i, (inputs, labels) in enumerate(train_loader):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
        scheduler.step(epoch + i / iters)
