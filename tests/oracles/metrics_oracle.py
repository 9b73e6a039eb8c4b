"""Reference clustering metrics from scikit-learn and SciPy.

Input: a text file with two lines per case (true labels, predicted labels, space-separated).
Output: one line per case: NMI (arithmetic) ARI RI ACC, with 17 significant digits.
"""
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics


def accuracy(truth, predicted):
    classes, truth_index = np.unique(truth, return_inverse=True)
    clusters, predicted_index = np.unique(predicted, return_inverse=True)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(table, (predicted_index, truth_index), 1)
    rows, cols = linear_sum_assignment(-table)
    return table[rows, cols].sum() / len(truth)


def main(path):
    lines = [line.split() for line in open(path)]
    for truth_words, predicted_words in zip(lines[0::2], lines[1::2]):
        truth = np.array(truth_words, dtype=np.int64)
        predicted = np.array(predicted_words, dtype=np.int64)
        values = (
            metrics.normalized_mutual_info_score(truth, predicted, average_method="arithmetic"),
            metrics.adjusted_rand_score(truth, predicted),
            metrics.rand_score(truth, predicted),
            accuracy(truth, predicted),
        )
        print(" ".join(f"{v:.17g}" for v in values))


if __name__ == "__main__":
    main(sys.argv[1])
