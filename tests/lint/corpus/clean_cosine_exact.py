"""Cosine annealing sized to the run: T_max equals the number of epochs the loop runs."""

import torch
import torch.optim as optim

EPOCHS = 50

model = torch.nn.Linear(20, 2)
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS, eta_min=1e-4)
history = []

for epoch in range(EPOCHS):
    for x, y in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    history.append(scheduler.get_last_lr()[0])
    scheduler.step()

print(history[:3], history[-3:])
