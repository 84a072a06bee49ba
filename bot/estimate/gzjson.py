"""The bundled gzip-compressed JSON tables, read with zlib and json on bytes: gzip.open's
module and its text layer cost more start-up than reading a whole table does."""

import json
import zlib


def load(path: str):
    with open(path, "rb") as f:
        return json.loads(zlib.decompress(f.read(), wbits=31))  # wbits=31: a gzip stream
