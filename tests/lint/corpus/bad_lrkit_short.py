"""An lrkit scheduler whose cosine is shorter than the loop: the rate sits at the floor afterwards."""

import lrkit
import torch

model = torch.nn.Linear(32, 32)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scheduler = lrkit.Scheduler(optimizer, "warmup(cosine(end=0.1, steps=400), steps=100)")

for step in range(1000):
    x = torch.randn(16, 32)
    loss = (model(x) - x).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
