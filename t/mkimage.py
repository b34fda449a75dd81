#!/usr/bin/env python3
"""Write container image archives and layer tars for tests, byte for byte
the same on every run (every time 0, owners 0, sorted as given).

  mkimage.py layer OUT.tar SPEC...      a layer tar; each SPEC is one entry:
      f:PATH:TEXT        a file (mode 0644) holding TEXT
      x:PATH:TEXT        an executable file (0755)
      r:PATH:N:SEED      a file of N pseudo-random bytes
      d:PATH             a directory (0755)
      l:PATH:TARGET      a symlink
      h:PATH:TARGET      a hard link
      c:PATH             a character device (1, 3)
  mkimage.py docker OUT.tar LAYER.tar...   a docker-archive of the layers
  mkimage.py oci OUT.tar LAYER.tar...      an OCI archive of the layers
      (uncompressed layers; with --gzip, zlib level 6 gzip ones, as
      Python's gzip writes them; with --gnu-gzip, gzip -n -6 ones)
  mkimage.py huge OUT.tar               a layer whose header declares 64 GiB

Options after the command: --diff-id=HEX gives the config a false first
diff_id (docker) or the manifest a false first layer digest (oci).
"""
import gzip
import hashlib
import io
import json
import random
import subprocess
import sys
import tarfile


def info(name, **kw):
    ti = tarfile.TarInfo(name)
    ti.mtime = 0
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def layer(out, specs):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for spec in specs:
            kind, rest = spec.split(":", 1)
            if kind in "fx":
                path, text = rest.split(":", 1)
                data = (text + "\n").encode()
                t.addfile(info(path, size=len(data), mode=0o755 if kind == "x" else 0o644),
                          io.BytesIO(data))
            elif kind == "r":
                path, n, seed = rest.split(":")
                data = random.Random(int(seed)).randbytes(int(n))
                t.addfile(info(path, size=len(data), mode=0o644), io.BytesIO(data))
            elif kind == "d":
                t.addfile(info(rest, type=tarfile.DIRTYPE, mode=0o755))
            elif kind == "l":
                path, target = rest.split(":", 1)
                t.addfile(info(path, type=tarfile.SYMTYPE, linkname=target, mode=0o777))
            elif kind == "h":
                path, target = rest.split(":", 1)
                t.addfile(info(path, type=tarfile.LNKTYPE, linkname=target, mode=0o644))
            elif kind == "c":
                t.addfile(info(rest, type=tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o644))


def outer(out, files):
    with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in files:
            t.addfile(info(name, size=len(data), mode=0o644), io.BytesIO(data))


def sha(data):
    return hashlib.sha256(data).hexdigest()


def config(diff_ids):
    return json.dumps({"architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
                       "config": {}, "rootfs": {"type": "layers", "diff_ids":
                                                ["sha256:" + d for d in diff_ids]}},
                      sort_keys=True).encode()


def docker(out, layers, false_id):
    datas = [open(p, "rb").read() for p in layers]
    ids = [sha(d) for d in datas]
    if false_id:
        ids[0] = false_id
    cfg = config(ids)
    files = [(sha(cfg) + ".json", cfg)]
    files += [(sha(d) + "/layer.tar", d) for d in datas]
    man = [{"Config": sha(cfg) + ".json", "RepoTags": ["localhost/test:1"],
            "Layers": [sha(d) + "/layer.tar" for d in datas]}]
    files.append(("manifest.json", json.dumps(man).encode()))
    outer(out, files)


def oci(out, layers, false_id, gz):
    datas = [open(p, "rb").read() for p in layers]
    diff_ids = [sha(d) for d in datas]
    if gz == "zlib":
        datas = [gzip.compress(d, compresslevel=6, mtime=0) for d in datas]
    elif gz == "gnu":
        datas = [subprocess.run(["gzip", "-n", "-6", "-c", p], check=True,
                                stdout=subprocess.PIPE).stdout for p in layers]
    cfg = config(diff_ids)
    mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else "")
    descs = [{"mediaType": mt, "digest": "sha256:" + sha(d), "size": len(d)} for d in datas]
    if false_id:
        descs[0]["digest"] = "sha256:" + false_id
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": "sha256:" + sha(cfg), "size": len(cfg)},
                      "layers": descs}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(man),
         "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "test:1"}}]}).encode()
    files = [("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'), ("index.json", index)]
    files += [("blobs/sha256/" + sha(b), b) for b in [cfg, man] + datas]
    outer(out, files)


def huge(out):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        t.addfile(info("big", size=5, mode=0o644), io.BytesIO(b"12345"))
    b = bytearray(buf.getvalue())
    b[124:136] = b"77777777777\0"
    s = sum(b[:148]) + 8 * 32 + sum(b[156:512])
    b[148:156] = b"%06o\0 " % s
    open(out, "wb").write(bytes(b))


def main():
    cmd, out = sys.argv[1], sys.argv[2]
    args = [a for a in sys.argv[3:] if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) if "=" in a else (a[2:], "1")
                for a in sys.argv[3:] if a.startswith("--"))
    if cmd == "layer":
        layer(out, args)
    elif cmd == "docker":
        docker(out, args, opts.get("diff-id"))
    elif cmd == "oci":
        oci(out, args, opts.get("diff-id"),
            "zlib" if "gzip" in opts else "gnu" if "gnu-gzip" in opts else None)
    elif cmd == "huge":
        huge(out)
    else:
        sys.exit("mkimage.py: unknown command " + cmd)


main()
