"""An independent safetensors reader (struct + json + numpy, not our C++ code).

Input: a .safetensors path. Output: one line per tensor, sorted by name: name dtype shape sum,
then a line "metadata KEY=VALUE" per metadata entry.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def main(path):
    data = open(path, "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    for name in sorted(k for k in header if k != "__metadata__"):
        entry = header[name]
        begin, end = entry["data_offsets"]
        values = np.frombuffer(body[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        print(name, entry["dtype"], "x".join(str(s) for s in entry["shape"]), repr(float(values.astype(np.float64).sum())))
    for key, value in sorted(header.get("__metadata__", {}).items()):
        print("metadata %s=%s" % (key, value))


if __name__ == "__main__":
    main(sys.argv[1])
