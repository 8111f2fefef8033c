"""OneCycleLR sized for every batch, but stepped at the end of each epoch."""

import torch
import torch.nn as nn
from torch.optim.lr_scheduler import OneCycleLR

from dataset import get_train_loader
from model import Net

EPOCHS = 30

net = Net()
train_loader = get_train_loader(batch_size=128)
optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)
scheduler = OneCycleLR(optimizer, max_lr=0.1, epochs=EPOCHS, steps_per_epoch=len(train_loader))
criterion = nn.CrossEntropyLoss()

for epoch in range(EPOCHS):
    running = 0.0
    for inputs, labels in train_loader:
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        running += loss.item()
    scheduler.step()
    print(f"epoch {epoch + 1}: loss {running / len(train_loader):.3f}")
