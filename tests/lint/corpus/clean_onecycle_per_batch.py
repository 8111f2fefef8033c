"""Super-convergence on a text classifier: OneCycleLR stepped after every optimizer update."""

import torch
from torch import nn
from torch.optim.lr_scheduler import OneCycleLR

from data import make_loaders

NUM_EPOCHS = 5

train_loader, val_loader = make_loaders(batch_size=64)
model = nn.Sequential(nn.EmbeddingBag(30000, 128), nn.ReLU(), nn.Linear(128, 4))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
scheduler = OneCycleLR(
    optimizer,
    max_lr=3e-3,
    epochs=NUM_EPOCHS,
    steps_per_epoch=len(train_loader),
    pct_start=0.3,
)

for epoch in range(NUM_EPOCHS):
    model.train()
    for step, (text, offsets, label) in enumerate(train_loader):
        optimizer.zero_grad()
        loss = criterion(model(text, offsets), label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % 100 == 0:
            print(epoch, step, loss.item(), scheduler.get_last_lr())
    model.eval()
    with torch.no_grad():
        correct = sum((model(t, o).argmax(1) == y).sum().item() for t, o, y in val_loader)
    print(f"epoch {epoch}: val acc {correct / len(val_loader.dataset):.3f}")
