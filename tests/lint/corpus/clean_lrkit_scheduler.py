"""lrkit's scheduler with a spec: warmup then cosine over the whole run, advanced per update."""

import lrkit
import torch

from project import build, loader_for

STEPS = 20_000

model = build("resnet50")
loader = loader_for("imagenet", batch_size=256)
optimizer = torch.optim.SGD(model.parameters(), lr=0.4, momentum=0.9, weight_decay=1e-4)
scheduler = lrkit.Scheduler(optimizer, "warmup(cosine(end=0.01), steps=0.05)", total=STEPS)

step = 0
data = iter(loader)
while step < STEPS:
    try:
        images, labels = next(data)
    except StopIteration:
        data = iter(loader)
        continue
    loss = torch.nn.functional.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    step += 1
