"""Fine-tuning with gradient accumulation: the schedule advances once per real optimizer update."""

import math

import torch
from transformers import AutoModelForSequenceClassification, get_linear_schedule_with_warmup

from data import train_dataloader

ACCUMULATION = 8
EPOCHS = 3

model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=2)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
updates_per_epoch = math.ceil(len(train_dataloader) / ACCUMULATION)
total_updates = updates_per_epoch * EPOCHS
scheduler = get_linear_schedule_with_warmup(
    optimizer, num_warmup_steps=int(0.06 * total_updates), num_training_steps=total_updates
)

model.train()
for epoch in range(EPOCHS):
    for step, batch in enumerate(train_dataloader):
        outputs = model(**batch)
        loss = outputs.loss / ACCUMULATION
        loss.backward()
        last = step + 1 == len(train_dataloader)
        if (step + 1) % ACCUMULATION == 0 or last:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
    print(f"epoch {epoch} done, lr={scheduler.get_last_lr()[0]:.2e}")
