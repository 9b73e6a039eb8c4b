"""A packed (IDX) image collection of any size for the scaling benchmark and the 1M GUI test:
Fashion-MNIST's 70,000 images (train then test, Debian's dataset-fashion-mnist), repeated
with a random shift of up to 2 pixels and light noise, so no two images are identical and the
labels stay true. Usage: make_packed_dataset.py COUNT OUT_DIR [SEED]
Writes OUT_DIR/images-idx3-ubyte and OUT_DIR/labels-idx1-ubyte (spec idx:IMAGES,LABELS)."""
import gzip
import os
import struct
import sys

import numpy as np

SOURCE = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    with gzip.open(os.path.join(SOURCE, name)) as handle:
        data = handle.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main(count, out_dir, seed=0):
    images = np.concatenate([read_idx("train-images-idx3-ubyte.gz"), read_idx("t10k-images-idx3-ubyte.gz")])
    labels = np.concatenate([read_idx("train-labels-idx1-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")])
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "images-idx3-ubyte"), "wb") as out_images, \
            open(os.path.join(out_dir, "labels-idx1-ubyte"), "wb") as out_labels:
        out_images.write(struct.pack(">IIII", 0x803, count, 28, 28))
        out_labels.write(struct.pack(">II", 0x801, count))
        chunk = 50000
        for begin in range(0, count, chunk):
            index = np.arange(begin, min(count, begin + chunk)) % len(images)
            block = images[index].astype(np.int16)
            # The first copy of each image stays the original; every later one is shifted and noisy.
            later = index != np.arange(begin, begin + len(index))
            shift = rng.integers(-2, 3, size=(len(index), 2))
            for dx in range(-2, 3):
                for dy in range(-2, 3):
                    rows = later & (shift[:, 0] == dx) & (shift[:, 1] == dy)
                    block[rows] = np.roll(block[rows], (dy, dx), axis=(1, 2))
            block[later] += rng.integers(-12, 13, size=block[later].shape, dtype=np.int16)
            out_images.write(np.clip(block, 0, 255).astype(np.uint8).tobytes())
            out_labels.write(labels[index].astype(np.uint8).tobytes())


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
