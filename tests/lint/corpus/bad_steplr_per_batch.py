"""StepLR sized in epochs (a third of the run) but stepped after every batch."""

import torch
from torch.optim import lr_scheduler

from speech import AcousticModel, make_loader

num_epochs = 60

model = AcousticModel(n_mels=80, vocab=32)
loader = make_loader("train-clean-100", batch_size=32)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
scheduler = lr_scheduler.StepLR(optimizer, step_size=num_epochs // 3, gamma=0.5)
ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)

for epoch in range(num_epochs):
    model.train()
    for feats, feat_lens, targets, target_lens in loader:
        log_probs = model(feats).log_softmax(-1).transpose(0, 1)
        loss = ctc(log_probs, targets, feat_lens, target_lens)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        scheduler.step()
    print(epoch, loss.item())
