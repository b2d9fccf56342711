# Layer tars and tar dumps for layer_fidelity_test.ts, written with Python's tarfile (an
# independent tar implementation: PAX and GNU formats, SCHILY.xattr records).
#   image <out.tar> <busybox>  a docker-save archive "fid:latest" of four layers
#   put <out.tar>              an archive for PUT /containers/{id}/archive
#   ctx <dir> <busybox>        a build context: a file with cap_net_raw+ep, a setuid one,
#                              a fifo-free tar for ADD
#   dump <in.tar> [fixed...]   one line per entry: the header fields as read
import hashlib
import io
import json
import os
import sys
import tarfile

# security.capability, VFS_CAP_REVISION_2 with the effective flag: cap_net_raw (13)+ep.
CAP_NET_RAW_EP = "\x01\x00\x00\x02\x00\x20\x00\x00" + "\x00" * 12
APPLETS = ["sh", "stat", "touch", "mkfifo", "mknod", "mkdir", "chmod", "chown", "rm", "ls",
           "grep", "cat", "ln", "echo", "head"]


def add(t, name, kind=tarfile.REGTYPE, data=b"", **kw):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = kw.pop("mode", 0o755 if kind == tarfile.DIRTYPE else 0o644)
    info.mtime = kw.pop("mtime", 1600000000)
    info.uname = info.gname = ""
    for k, v in kw.items():
        setattr(info, k, v)
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    else:
        t.addfile(info)


def layer(fmt, fill):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        fill(t)
    return buf.getvalue()


def base(busybox):
    def fill(t):
        add(t, "bin", tarfile.DIRTYPE)
        add(t, "bin/busybox", data=busybox, mode=0o755)
        for a in APPLETS:
            add(t, "bin/" + a, tarfile.SYMTYPE, linkname="busybox", mode=0o777)
    return fill


def attrs(busybox):
    def fill(t):
        add(t, "d1", tarfile.DIRTYPE, mode=0o2750, mtime=1000000000)
        add(t, "d1/sub", tarfile.DIRTYPE, mode=0o700, mtime=1100000000)
        add(t, "d1/sub/f", data=b"x", mtime=1200000000)
        add(t, "sticky", tarfile.DIRTYPE, mode=0o1777, mtime=1300000000)
        add(t, "suid", data=b"s", mode=0o4755)
        add(t, "sgid", data=b"g", mode=0o2711)
        add(t, "capbin", tarfile.DIRTYPE)
        add(t, "capbin/grep", data=busybox, mode=0o755, pax_headers={
            "SCHILY.xattr.security.capability": CAP_NET_RAW_EP,
            "SCHILY.xattr.user.note": "hello",
        })
        add(t, "fifo", tarfile.FIFOTYPE, mode=0o640)
        add(t, "devs", tarfile.DIRTYPE)
        add(t, "devs/chr", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3)
        add(t, "devs/blk", tarfile.BLKTYPE, mode=0o660, devmajor=7, devminor=0)
        add(t, "hl", tarfile.DIRTYPE)
        add(t, "hl/a", data=b"h")
        add(t, "other", tarfile.DIRTYPE)
        add(t, "other/b", tarfile.LNKTYPE, linkname="hl/a")
        add(t, "big", data=b"b", mode=0o640, uid=70000, gid=80000)
        add(t, "huge", data=b"u", uid=3000000, gid=4000000)
        add(t, "long/" + "n" * 120 + "/" + "f" * 150, data=b"l")
        add(t, "lsym", tarfile.SYMTYPE, linkname="/" + "t" * 200, mode=0o777)
        add(t, "gone", data=b"g")
        add(t, "odir", tarfile.DIRTYPE)
        add(t, "odir/x", data=b"x")
        add(t, "f2d", data=b"f")
        add(t, "d2f", tarfile.DIRTYPE)
        add(t, "d2f/y", data=b"y")
        add(t, "ovl", tarfile.DIRTYPE)
        add(t, "ovl/old", data=b"o")
        add(t, "cw", data=b"c")
    return fill


def changes(t):
    add(t, ".wh.gone")
    add(t, "odir", tarfile.DIRTYPE, mode=0o750, mtime=1400000000)
    add(t, "odir/.wh..wh..opq")
    add(t, "odir/new", data=b"n")
    add(t, "f2d", tarfile.DIRTYPE)
    add(t, "f2d/z", data=b"z")
    add(t, "d2f", data=b"d")
    add(t, "gnulong", tarfile.DIRTYPE)
    add(t, "gnulong/" + "g" * 150, data=b"g", uid=3000000, gid=3000001)
    add(t, "gsym", tarfile.SYMTYPE, linkname="u" * 150, mode=0o777)
    add(t, "hl2", tarfile.DIRTYPE)
    add(t, "hl2/c", data=b"c")
    add(t, "other2", tarfile.DIRTYPE)
    add(t, "other2/d", tarfile.LNKTYPE, linkname="hl2/c", mode=0o600, uid=5, mtime=1700000000)


def overlay_style(t):
    """Overlay's own marks in a layer: an opaque xattr and a 0/0 char device whiteout."""
    add(t, "ovl", tarfile.DIRTYPE, pax_headers={"SCHILY.xattr.trusted.overlay.opaque": "y"})
    add(t, "ovl/new", data=b"n")
    add(t, "cw", tarfile.CHRTYPE, devmajor=0, devminor=0)


def image(out, busybox_path):
    busybox = open(busybox_path, "rb").read()
    layers = [layer(tarfile.USTAR_FORMAT, base(busybox)),
              layer(tarfile.PAX_FORMAT, attrs(busybox)),
              layer(tarfile.GNU_FORMAT, changes),
              layer(tarfile.PAX_FORMAT, overlay_style)]
    ids = ["sha256:" + hashlib.sha256(b).hexdigest() for b in layers]
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": ids},
        "history": [{"created_by": "layer %d" % i} for i in range(len(layers))],
    }).encode()
    cfg = hashlib.sha256(config).hexdigest() + ".json"
    names = ["%d/layer.tar" % i for i in range(len(layers))]
    manifest = json.dumps([{"Config": cfg, "RepoTags": ["fid:latest"], "Layers": names}])
    with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
        add(t, cfg, data=config)
        add(t, "manifest.json", data=manifest.encode())
        for name, b in zip(names, layers):
            add(t, name, data=b)


def put(out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        add(t, "put", tarfile.DIRTYPE, mode=0o1750, mtime=1100000000)
        add(t, "put/cap", data=b"c", mode=0o755, pax_headers={
            "SCHILY.xattr.security.capability": CAP_NET_RAW_EP,
        })
        add(t, "put/suid", data=b"s", mode=0o4750, uid=3000000, gid=70000)
        add(t, "put/hl", tarfile.LNKTYPE, linkname="put/suid")
        add(t, "put/own", data=b"o", mode=0o6750, uid=3000000, gid=70000)
        add(t, "put/fifo", tarfile.FIFOTYPE, mode=0o600)
        add(t, "put/chr", tarfile.CHRTYPE, mode=0o620, devmajor=1, devminor=3)


def ctx(out, busybox_path):
    os.makedirs(out)
    with open(out + "/capfile", "wb") as f:
        f.write(open(busybox_path, "rb").read())
    os.chmod(out + "/capfile", 0o755)
    os.setxattr(out + "/capfile", "security.capability", CAP_NET_RAW_EP.encode())
    with open(out + "/suid", "w") as f:
        f.write("s")
    os.chmod(out + "/suid", 0o4755)
    os.utime(out + "/suid", (1500000000, 1500000000))
    os.utime(out + "/capfile", (1500000000, 1500000000))
    put(out + "/put.tar")
    with open(out + "/Dockerfile", "w") as f:
        f.write("FROM fid\nCOPY capfile /capbin2/grep\nCOPY suid /bsuid\n"
                "RUN touch -d @1500000000 /capbin/grep && mknod -m 640 /bnod b 7 1 && "
                "mkfifo -m 604 /bfifo && touch -d @1500000000 /bnod /bfifo\n"
                "ADD put.tar /added/\n")


TYPES = {tarfile.REGTYPE: "0", tarfile.AREGTYPE: "0", tarfile.LNKTYPE: "1",
         tarfile.SYMTYPE: "2", tarfile.CHRTYPE: "3", tarfile.BLKTYPE: "4",
         tarfile.DIRTYPE: "5", tarfile.FIFOTYPE: "6"}


def dump(path, fixed):
    """Header fields; an mtime only for the names in `fixed` (others: whether whole)."""
    with tarfile.open(path, "r:") as t:
        for m in t:
            pax = sorted(k for k in m.pax_headers if not k.startswith("SCHILY.xattr."))
            xattrs = ",".join("%s=%s" % (k[13:], m.pax_headers[k].encode(
                "utf-8", "surrogateescape").hex()) for k in sorted(m.pax_headers)
                if k.startswith("SCHILY.xattr."))
            name = m.name if len(m.name) < 60 else m.name[:20] + "...%d" % len(m.name)
            link = m.linkname if len(m.linkname) < 60 else "...%d" % len(m.linkname)
            mtime = str(int(m.mtime)) if name.rstrip("/") in fixed else (
                "whole" if m.mtime == int(m.mtime) else "fraction")
            print("%s %s %o %d:%d %s:%s size=%d link=%s dev=%d,%d mtime=%s pax=%s xattrs=%s" % (
                name, TYPES.get(m.type, m.type), m.mode, m.uid, m.gid, m.uname, m.gname,
                m.size, link, m.devmajor, m.devminor, mtime, ",".join(pax), xattrs))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "image":
        image(sys.argv[2], sys.argv[3])
    elif cmd == "ctx":
        ctx(sys.argv[2], sys.argv[3])
    elif cmd == "put":
        put(sys.argv[2])
    else:
        dump(sys.argv[2], set(sys.argv[3:]))
