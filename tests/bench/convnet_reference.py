"""Reference throughput: the same network (stem + one residual block per stage, instance and
cluster heads) and the same CC losses, trained in PyTorch on random 28x28 grey batches.

Arguments: widths (comma-separated), batch size, steps, threads, clusters.
Output: "train_images_per_second encode_images_per_second".
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


def nt_xent(a, b, temperature):
    n = a.shape[0]
    z = torch.cat([a, b])
    sim = (z @ z.t() / temperature).masked_fill(torch.eye(2 * n, dtype=torch.bool), -1e9)
    return F.cross_entropy(sim, torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]))


def main(widths, batch, steps, threads, clusters):
    torch.set_num_threads(threads)
    layers = [nn.Conv2d(1, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    cin = widths[0]
    for i, width in enumerate(widths):
        layers.append(Block(cin, width, 1 if i == 0 else 2))
        cin = width
    backbone = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten()).to(memory_format=torch.channels_last)
    instance = nn.Sequential(nn.Linear(cin, cin), nn.ReLU(), nn.Linear(cin, 128))
    cluster = nn.Sequential(nn.Linear(cin, cin), nn.ReLU(), nn.Linear(cin, clusters))
    parameters = list(backbone.parameters()) + list(instance.parameters()) + list(cluster.parameters())
    optimizer = torch.optim.Adam(parameters, lr=3e-4)
    images = torch.randn(2 * batch, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    for step in range(steps + 1):
        if step == 1:
            start = time.time()
        features = backbone(images)
        z = F.normalize(instance(features), dim=1)
        p = F.softmax(cluster(features), dim=1)
        loss = nt_xent(z[:batch], z[batch:], 0.5) + nt_xent(F.normalize(p[:batch].t(), dim=1), F.normalize(p[batch:].t(), dim=1), 1.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    train = 2 * batch * steps / (time.time() - start)
    backbone.eval()
    with torch.no_grad():
        start = time.time()
        for _ in range(steps):
            backbone(images)
        encode = 2 * batch * steps / (time.time() - start)
    print("%.1f %.1f" % (train, encode))


if __name__ == "__main__":
    main([int(w) for w in sys.argv[1].split(",")], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
