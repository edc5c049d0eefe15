import zlib

import cext


def test_add():
    assert cext.add(2, 3) == 5


def test_checksum_matches_zlib():
    data = b"relman builds C extensions"
    assert cext.checksum(data) == zlib.adler32(data)
