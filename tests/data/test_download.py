"""Download (resume, checksum), safe extraction and prepare_dataset, against a loopback server."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from synthad.data.download import (
    ChecksumWarning,
    download_file,
    extract_archive,
    prepare_dataset,
    read_source,
)
from synthad.data.registry import RemoteFile, get_dataset
from synthad.errors import DataError

PAYLOAD = bytes(range(256)) * 400  # 102400 bytes


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` with optional Range support; records the Range headers seen."""

    def do_GET(self):  # noqa: N802 (http.server API)
        data = self.server.files.get(self.path.lstrip("/"))
        self.server.ranges.append(self.headers.get("Range"))
        if data is None:
            self.send_error(404)
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and self.server.honour_range:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture()
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.ranges, httpd.honour_range = {"data.bin": PAYLOAD}, [], True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _remote(server, name="data.bin", data=PAYLOAD, **kw) -> RemoteFile:
    kw.setdefault("sha256", hashlib.sha256(data).hexdigest())
    return RemoteFile(url=f"{server.base}/{name}", filename=name, size_bytes=len(data), **kw)


def test_download_and_verify(server, tmp_path):
    dest = download_file(_remote(server, md5=hashlib.md5(PAYLOAD).hexdigest()), tmp_path / "data.bin")
    assert dest.read_bytes() == PAYLOAD and not (tmp_path / "data.bin.part").exists()


def test_resume_continues_the_part_file(server, tmp_path):
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:1000])
    dest = download_file(_remote(server), tmp_path / "data.bin")
    assert server.ranges == ["bytes=1000-"]
    assert dest.read_bytes() == PAYLOAD


def test_server_without_range_restarts(server, tmp_path):
    server.honour_range = False
    (tmp_path / "data.bin.part").write_bytes(b"x" * 500)
    assert download_file(_remote(server), tmp_path / "data.bin").read_bytes() == PAYLOAD


def test_checksum_mismatch_names_file_and_hashes(server, tmp_path):
    done = tmp_path / "other.bin"
    done.write_bytes(b"completed earlier")
    bad = "0" * 64
    with pytest.raises(DataError) as info:
        download_file(_remote(server, sha256=bad), tmp_path / "data.bin")
    message = str(info.value)
    assert "data.bin.part" in message and bad in message and hashlib.sha256(PAYLOAD).hexdigest() in message
    assert not (tmp_path / "data.bin.part").exists() and not (tmp_path / "data.bin").exists()
    assert done.read_bytes() == b"completed earlier"


def test_completed_file_with_bad_checksum_is_kept(server, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"corrupt")
    with pytest.raises(DataError, match="size 7 bytes"):
        download_file(_remote(server), dest)
    assert dest.read_bytes() == b"corrupt"


def test_without_checksum_only_size_with_warning(server, tmp_path):
    with pytest.warns(ChecksumWarning, match="no checksum"):
        download_file(_remote(server, sha256=None), tmp_path / "data.bin")
    with pytest.raises(DataError, match="expected 5"):
        download_file(replace(_remote(server, sha256=None), size_bytes=5), tmp_path / "again.bin")


def test_http_errors_are_data_errors(server, tmp_path):
    with pytest.raises(DataError, match="download failed"):
        download_file(_remote(server, name="missing.bin"), tmp_path / "missing.bin")


# --------------------------------------------------------------------------- extraction
def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind=tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def test_extract_tar_and_zip(tmp_path):
    extract_archive(_tar(tmp_path / "a.tar.gz", [_file("top/a.txt", b"A")]), tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
        zf.writestr("top/b.txt", "B")
    extract_archive(tmp_path / "b.zip", tmp_path / "out")
    assert (tmp_path / "out/top/a.txt").read_text() == "A" and (tmp_path / "out/top/b.txt").read_text() == "B"


@pytest.mark.parametrize("members", [
    [_file("../evil", b"pwned")],
    [_file("ok/../../evil", b"pwned")],
    [_file("/tmp/evil_abs_synthad", b"pwned")],
    [_link("link", "../../evil")],
    [_link("hard", "../evil", tarfile.LNKTYPE)],
])
def test_malicious_tar_is_rejected(tmp_path, members):
    dest = tmp_path / "sandbox" / "out"
    with pytest.raises(DataError, match="unsafe|outside"):
        extract_archive(_tar(tmp_path / "evil.tar.gz", members), dest)
    assert not (tmp_path / "evil").exists() and not (tmp_path / "sandbox" / "evil").exists()
    assert not Path("/tmp/evil_abs_synthad").exists()


def test_malicious_zip_is_rejected(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("../evil", "pwned")
    with pytest.raises(DataError, match="unsafe"):
        extract_archive(tmp_path / "evil.zip", tmp_path / "out")
    assert not (tmp_path / "evil").exists()


def test_not_an_archive(tmp_path):
    (tmp_path / "x.tar").write_bytes(b"garbage")
    with pytest.raises(DataError, match="not a zip or tar"):
        extract_archive(tmp_path / "x.tar", tmp_path / "out")


# --------------------------------------------------------------------------- prepare_dataset
def test_prepare_with_path_writes_source(metal_plate, tmp_path):
    root = prepare_dataset(get_dataset("folder"), tmp_path / "raw", path=metal_plate)
    source = json.loads((tmp_path / "raw/source.json").read_text())
    assert source == {"dataset": "folder", "root": str(metal_plate), "downloaded": False}
    assert root == metal_plate and read_source(tmp_path / "raw/source.json")["root"] == metal_plate


def test_prepare_with_bad_path(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        prepare_dataset(get_dataset("folder"), tmp_path / "raw", path=tmp_path / "nope")
    with pytest.raises(DataError, match="does not look like MVTec AD"):
        prepare_dataset(get_dataset("mvtec_ad"), tmp_path / "raw", path=tmp_path)


def test_prepare_without_download(tmp_path):
    for key in ("mpdd", "dagm2007", "folder"):
        with pytest.raises(DataError, match="no automatic download"):
            prepare_dataset(get_dataset(key), tmp_path / key)


def test_prepare_downloads_and_extracts(server, tmp_path):
    archive = _tar(tmp_path / "btad.tgz", [_file("BTech_Dataset_transformed/01/train/ok/0.png")])
    server.files["btad.tgz"] = data = archive.read_bytes()
    spec = replace(get_dataset("btad"), files=(_remote(server, "btad.tgz", data),))
    root = prepare_dataset(spec, tmp_path / "raw", archive_dir=tmp_path / "downloads")
    assert root == (tmp_path / "raw/data/BTech_Dataset_transformed").resolve()
    assert (tmp_path / "downloads/btad.tgz").read_bytes() == data
    assert read_source(tmp_path / "raw/source.json") == {"dataset": "btad", "root": root, "downloaded": True}
    server.ranges.clear()
    assert prepare_dataset(spec, tmp_path / "raw") == root and server.ranges == []  # nothing refetched


def test_read_source_errors(tmp_path):
    with pytest.raises(DataError, match="run `synthad download`"):
        read_source(tmp_path / "source.json")
    (tmp_path / "source.json").write_text('{"dataset": "x"}')
    with pytest.raises(DataError, match="lacks key"):
        read_source(tmp_path / "source.json")
    (tmp_path / "source.json").write_text('{"dataset": "x", "root": "/no/such/dir"}')
    with pytest.raises(DataError, match="does not exist"):
        read_source(tmp_path / "source.json")
