"""A transformers warmup schedule sized in updates but stepped once per epoch."""

import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForTokenClassification, get_linear_schedule_with_warmup

from ner import load_conll

EPOCHS = 4
dataset = load_conll("train")
train_dataloader = DataLoader(dataset, batch_size=32, shuffle=True)
model = AutoModelForTokenClassification.from_pretrained("roberta-base", num_labels=9)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5)
num_training_steps = EPOCHS * len(train_dataloader)
scheduler = get_linear_schedule_with_warmup(
    optimizer, num_warmup_steps=num_training_steps // 10, num_training_steps=num_training_steps
)

for epoch in range(EPOCHS):
    model.train()
    for batch in train_dataloader:
        outputs = model(**batch)
        outputs.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    scheduler.step()
    model.save_pretrained(f"ner-epoch{epoch}")
