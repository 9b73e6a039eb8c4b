"""Reference losses of contrastive clustering, written as in CC's public code (Li et al., AAAI 2021).

Input: a folder holding z_i.bin, z_j.bin ([N, D] float32, L2-normalised), c_i.bin, c_j.bin
([N, C] float32 probabilities) and the sizes N D C on the command line.
Output: instance loss, cluster contrastive loss, entropy term (log C - H(mean c_i) + same for c_j).
"""
import math
import sys

import numpy as np
import torch
import torch.nn as nn


def mask_correlated(n):
    mask = torch.ones((2 * n, 2 * n), dtype=torch.bool)
    mask.fill_diagonal_(0)
    for i in range(n):
        mask[i, n + i] = 0
        mask[n + i, i] = 0
    return mask


def instance_loss(z_i, z_j, temperature):
    n = z_i.shape[0]
    z = torch.cat((z_i, z_j), dim=0)
    sim = torch.matmul(z, z.T) / temperature
    positives = torch.cat((torch.diag(sim, n), torch.diag(sim, -n)), dim=0).reshape(2 * n, 1)
    negatives = sim[mask_correlated(n)].reshape(2 * n, -1)
    logits = torch.cat((positives, negatives), dim=1)
    labels = torch.zeros(2 * n, dtype=torch.long)
    return nn.CrossEntropyLoss(reduction="sum")(logits, labels) / (2 * n)


def cluster_loss(c_i, c_j, temperature):
    p_i = c_i.sum(0).view(-1)
    p_i /= p_i.sum()
    ne_i = math.log(p_i.size(0)) + (p_i * torch.log(p_i)).sum()
    p_j = c_j.sum(0).view(-1)
    p_j /= p_j.sum()
    ne_j = math.log(p_j.size(0)) + (p_j * torch.log(p_j)).sum()
    k = c_i.shape[1]
    c = torch.cat((c_i.t(), c_j.t()), dim=0)
    sim = nn.CosineSimilarity(dim=2)(c.unsqueeze(1), c.unsqueeze(0)) / temperature
    positives = torch.cat((torch.diag(sim, k), torch.diag(sim, -k)), dim=0).reshape(2 * k, 1)
    negatives = sim[mask_correlated(k)].reshape(2 * k, -1)
    logits = torch.cat((positives, negatives), dim=1)
    labels = torch.zeros(2 * k, dtype=torch.long)
    return nn.CrossEntropyLoss(reduction="sum")(logits, labels) / (2 * k), ne_i + ne_j


def main(folder, n, d, c, instance_temperature, cluster_temperature):
    load = lambda name, cols: torch.from_numpy(np.fromfile(f"{folder}/{name}.bin", dtype=np.float32).reshape(n, cols)).double()
    z_i, z_j = load("z_i", d), load("z_j", d)
    c_i, c_j = load("c_i", c), load("c_j", c)
    contrastive, entropy = cluster_loss(c_i, c_j, cluster_temperature)
    print("%.12f %.12f %.12f" % (instance_loss(z_i, z_j, instance_temperature).item(), contrastive.item(), entropy.item()))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
