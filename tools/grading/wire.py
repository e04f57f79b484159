"""The data that crosses between the checker and the sandboxed worker, and the channel it crosses.

Only *data* is ever decoded: ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, lists,
tuples, dicts, numpy arrays and scalars of numeric or boolean dtype, and numpy random
``Generator`` states. Everything else is sent as a **handle**: a number that names an object kept
by the side that owns it. The other side gets a :class:`Remote` for it: calling it, or (for the
worker's objects only) reading an attribute, is a request to the owner, answered with data or
another handle. A ``Remote`` cannot be compared, tested for truth, iterated or converted, so a
student's object can never stand in for a value a check compares. Nothing is unpickled.

Frames are a 4-byte length and a JSON document; arrays travel as base64 of their raw bytes.
"""

from __future__ import annotations

import base64
import json
import os
import struct

import numpy as np

MAX_FRAME = 512 * 1024 * 1024  # a larger answer is refused (a memory bomb is not graded)
_KINDS = "biufc"  # bool, int, unsigned, float, complex dtypes may cross; never object arrays


class WireError(Exception):
    """The other side sent something that is not a well-formed message."""


class RemoteError(Exception):
    """The other side's code raised: ``kind`` is its exception's class name."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind, self.message = kind, message


class Remote:
    """An object that lives on the other side: it can be called (and, for the worker's objects, have
    attributes read); nothing else. Comparing it, testing it for truth or converting it raises."""

    __slots__ = ("_peer", "_id", "_name")

    def __init__(self, peer, handle: int, name: str):
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_id", handle)
        object.__setattr__(self, "_name", name)

    def __call__(self, *args, **kwargs):
        return self._peer.request({"op": "call", "id": self._id}, args, kwargs)

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return self._peer.request({"op": "getattr", "id": self._id, "attr": str(attribute)}, (), {})

    def __repr__(self):
        return f"<{self._name} from the submission>"

    def _refuse(self, *_args, **_kwargs):
        raise TypeError(
            f"{self!r} is an object of the submission, not a value the grader can use: "
            "give a number, a string, an array, a list or a dict"
        )

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __len__ = __iter__ = _refuse
    __float__ = __int__ = __index__ = __array__ = __contains__ = __getitem__ = __setattr__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _refuse
    __hash__ = None


def _is_data_array(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in _KINDS and not value.dtype.fields


def encode(value, keep, depth: int = 0):
    """``value`` as JSON-ready data; objects that are not data become handles through ``keep(obj)``."""
    if depth > 50:
        raise WireError("the value is nested more than 50 levels deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and type(value) is int:
        return value if abs(value) < 2**62 else {"$int": str(value)}
    if type(value) is float:
        return {"$float": repr(value)} if not np.isfinite(value) else value
    if type(value) is complex:
        return {"$complex": [repr(value.real), repr(value.imag)]}
    if isinstance(value, np.generic) and value.dtype.kind in _KINDS:
        return {"$scalar": value.dtype.str, "bytes": base64.b64encode(value.tobytes()).decode()}
    if _is_data_array(value):
        data = np.ascontiguousarray(value)
        return {"$array": data.dtype.str, "shape": list(data.shape), "bytes": base64.b64encode(data.tobytes()).decode()}
    if type(value) in (list, tuple):
        items = [encode(v, keep, depth + 1) for v in value]
        return items if type(value) is list else {"$tuple": items}
    if type(value) is dict and all(type(k) in (str, int) for k in value):
        return {"$dict": [[k, encode(v, keep, depth + 1)] for k, v in value.items()]}
    if type(value) is np.random.Generator and type(value.bit_generator) is np.random.PCG64:
        return {"$rng": encode(value.bit_generator.state, keep, depth + 1)}
    return {"$handle": keep(value), "name": type(value).__name__}


def decode(data, remote):
    """The value ``encode`` described; a handle becomes ``remote(id, name)``. Raises WireError on anything else."""
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if type(data) is list:
        return [decode(v, remote) for v in data]
    if type(data) is not dict or len(data) == 0:
        raise WireError(f"unexpected data of type {type(data).__name__}")
    tag = next(iter(data))
    try:
        if tag == "$int":
            return int(data["$int"])
        if tag == "$float":
            return float(data["$float"])
        if tag == "$complex":
            return complex(float(data["$complex"][0]), float(data["$complex"][1]))
        if tag in ("$scalar", "$array"):
            dtype = np.dtype(data[tag])
            if dtype.kind not in _KINDS or dtype.fields:
                raise WireError(f"arrays of dtype {dtype} cannot cross")
            raw = base64.b64decode(data["bytes"], validate=True)
            if tag == "$scalar":
                return np.frombuffer(raw, dtype=dtype)[0]
            shape = tuple(int(n) for n in data["shape"])
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if tag == "$tuple":
            return tuple(decode(v, remote) for v in data["$tuple"])
        if tag == "$dict":
            return {(k if type(k) in (str, int) else _bad(k)): decode(v, remote) for k, v in data["$dict"]}
        if tag == "$rng":
            rng = np.random.Generator(np.random.PCG64())
            rng.bit_generator.state = decode(data["$rng"], remote)
            return rng
        if tag == "$handle":
            return remote(int(data["$handle"]), str(data.get("name", "object"))[:80])
    except WireError:
        raise
    except Exception as exc:  # malformed: base64, shapes, states
        raise WireError(f"malformed {tag}: {type(exc).__name__}: {exc}") from None
    raise WireError(f"unknown tag {tag!r}")


def _bad(key):
    raise WireError(f"dict keys must be str or int, got {type(key).__name__}")


def write_back(original, new) -> None:
    """Give ``original`` (an argument of a call) the value ``new`` it had after the call, in place."""
    if isinstance(original, np.ndarray) and isinstance(new, np.ndarray) and original.shape == new.shape:
        if original.flags.writeable:
            original[...] = new
    elif type(original) is dict and type(new) is dict:
        if any(original.get(k) is not v for k, v in new.items()) or set(original) != set(new):
            for key in list(original):
                if key not in new:
                    del original[key]
            for key, value in new.items():
                if key in original:
                    write_back(original[key], value)
                    if not _mutable(original[key]):
                        original[key] = value
                else:
                    original[key] = value
    elif type(original) is list and type(new) is list:
        for i, value in enumerate(new[: len(original)]):
            write_back(original[i], value)
            if not _mutable(original[i]):
                original[i] = value
        del original[len(new) :]
        original.extend(new[len(original) :])
    elif type(original) is np.random.Generator and type(new) is np.random.Generator:
        original.bit_generator.state = new.bit_generator.state


def _mutable(value) -> bool:
    return isinstance(value, (np.ndarray, dict, list, np.random.Generator))


class Channel:
    """Length-prefixed JSON frames over a pair of file descriptors."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd

    def send(self, message: dict) -> None:
        body = json.dumps(message, allow_nan=False).encode()
        if len(body) > MAX_FRAME:
            raise WireError(f"a message of {len(body)} bytes is larger than the limit of {MAX_FRAME}")
        frame = struct.pack(">I", len(body)) + body
        view = memoryview(frame)
        while view:
            view = view[os.write(self.write_fd, view) :]

    def receive(self) -> dict:
        size = struct.unpack(">I", self._read(4))[0]
        if size > MAX_FRAME:
            raise WireError(f"a message of {size} bytes is larger than the limit of {MAX_FRAME}")
        try:
            message = json.loads(self._read(size))
        except ValueError as exc:
            raise WireError(f"not JSON: {exc}") from None
        if type(message) is not dict:
            raise WireError("a message must be a JSON object")
        return message

    def _read(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = os.read(self.read_fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("the other side closed the channel")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


class Peer:
    """One side of the conversation: makes requests and, while waiting for an answer, serves the
    other side's requests (calls of the handles this side gave out).

    ``allow_getattr``: whether the other side may read attributes of this side's objects (the
    worker allows it for the student's objects; the checker never does).
    """

    def __init__(self, channel: Channel, *, allow_getattr: bool, serve=None):
        self.channel = channel
        self.allow_getattr = allow_getattr
        self.serve_extra = serve  # op -> function(message) for requests other than call/getattr
        self.objects: dict[int, object] = {}

    def keep(self, obj) -> int:
        handle = id(obj)
        self.objects[handle] = obj
        return handle

    def remote(self, handle: int, name: str) -> Remote:
        return Remote(self, handle, name)

    def encode(self, value):
        return encode(value, self.keep)

    def decode(self, data):
        return decode(data, self.remote)

    def request(self, message: dict, args=(), kwargs=None):
        """Send a request and wait for its answer, serving the other side meanwhile. Returns the value."""
        kwargs = kwargs or {}
        self.channel.send({**message, "args": self.encode(list(args)), "kwargs": self.encode(dict(kwargs))})
        while True:
            reply = self.channel.receive()
            if reply.get("op") in ("result", "error"):
                break
            self.serve_one(reply)
        if reply["op"] == "error":
            raise RemoteError(str(reply.get("kind", "Error"))[:100], str(reply.get("message", ""))[:2000])
        after = self.decode(reply.get("after", []))
        for original, new in zip(list(args) + list(kwargs.values()), after):
            write_back(original, new)
        return self.decode(reply.get("value"))

    def serve_one(self, message: dict) -> None:
        """Answer one request of the other side."""
        op = message.get("op")
        try:
            if op == "call":
                target = self.objects[int(message["id"])]
                args = self.decode(message.get("args", []))
                kwargs = self.decode(message.get("kwargs", {}))
                value = target(*args, **kwargs)
                after = list(args) + list(kwargs.values())
                self.channel.send({"op": "result", "value": self.encode(value), "after": self.encode(after)})
                return
            if op == "getattr" and self.allow_getattr:
                value = getattr(self.objects[int(message["id"])], str(message["attr"]))
                self.channel.send({"op": "result", "value": self.encode(value), "after": []})
                return
            if self.serve_extra and op in self.serve_extra:
                self.channel.send({"op": "result", "value": self.encode(self.serve_extra[op](message)), "after": []})
                return
            raise WireError(f"request {op!r} is not served here")
        except (WireError, EOFError):
            raise
        except BaseException as exc:  # the code behind a handle raised: tell the other side
            if isinstance(exc, (SystemExit, KeyboardInterrupt)) and not self.allow_getattr:
                raise
            self.channel.send({"op": "error", "kind": type(exc).__name__, "message": str(exc)[:2000]})
