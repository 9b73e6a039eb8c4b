"""Reference for bench_scaling's head step: the same cluster head (Linear D-512, ReLU,
Linear 512-C, softmax) written plainly in PyTorch (Debian's python3-torch), one epoch of Adam
(lr 1e-3, batches of 512) over every row against fixed labels, then a forward pass over all rows
for the prediction, on the benchmark's features. Arguments: FEATURES.f32 ROWS COLS CLUSTERS THREADS.
Prints the seconds."""
import sys
import time

import numpy as np
import torch


def main(path, rows, cols, clusters, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    features = torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(rows, cols))
    features = torch.nn.functional.normalize(features, dim=1)
    labels = torch.randint(0, clusters, (rows,))
    head = torch.nn.Sequential(torch.nn.Linear(cols, 512), torch.nn.ReLU(), torch.nn.Linear(512, clusters))
    optimiser = torch.optim.Adam(head.parameters(), lr=1e-3, weight_decay=1e-4)
    start = time.perf_counter()
    order = torch.randperm(rows)
    for begin in range(0, rows, 512):
        batch = order[begin:begin + 512]
        loss = torch.nn.functional.cross_entropy(head(features[batch]), labels[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        for begin in range(0, rows, 65536):
            head(features[begin:begin + 65536]).softmax(1).argmax(1)
    print(f"{time.perf_counter() - start:.3f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
