"""AMP loop with the scheduler stepped before scaler.step(optimizer)."""

import torch
from torch.cuda.amp import GradScaler, autocast

from seg import DeepLab, voc_loader

model = DeepLab(num_classes=21).cuda()
loader = voc_loader(batch_size=8)
optimizer = torch.optim.SGD(model.parameters(), lr=0.007, momentum=0.9, weight_decay=1e-4)
max_iter = 30 * len(loader)
scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=max_iter, power=0.9)
scaler = GradScaler()

for epoch in range(30):
    for images, labels in loader:
        optimizer.zero_grad()
        with autocast():
            loss = torch.nn.functional.cross_entropy(model(images.cuda()), labels.cuda(), ignore_index=255)
        scaler.scale(loss).backward()
        scheduler.step()
        scaler.step(optimizer)
        scaler.update()
