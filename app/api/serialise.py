"""Render a `GradientResult` as strict JSON bytes (the REST API's response body)."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Generator, Iterator
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from zlib_ng.zlib_ng import crc32

from app.service.compute import GradientResult

# Arrays go to orjson as Python lists, never through OPT_SERIALIZE_NUMPY: orjson 3.12 and 3.13
# corrupt the heap (SIGABRT in realloc) on some multi-array payloads of long float reprs, and one
# such valid request killed the server. The list path writes the same bytes, safely, at about
# 70 ms for the 27 MB n = 1000 answer (the numpy path: ~27 ms); bench/serializers.py measures it.
# orjson writes NaN and ±Infinity as null, so the output is always strict RFC 8259 JSON; the
# only non-finite value the core produces by design is dE/dO_i = −∞ where O_i underflows (or is
# so small, subnormal, that c_i/O_i overflows).


# Answers with more array entries than this are streamed in chunks of about CHUNK_BYTES, so a
# client that reads slowly holds the arrays and one chunk, not the whole JSON text as well.
STREAM_ENTRIES = 200_000
CHUNK_BYTES = 1 << 16


def _layout(result: GradientResult) -> Callable[[NDArray[Any]], NDArray[Any]]:
    """Return what gives an array the request's layout: a row without its batch axis, and
    K-dimensional logits' (N, C, d1, …) with the classes back on axis 1 (row losses as
    (N, d1, …)); a batch's arrays as they are."""
    layout = result.request.layout
    if layout is not None:
        N, C, *spatial = layout

        def spatial_layout(array: NDArray[Any]) -> NDArray[Any]:
            if array.ndim == 1:  # one value per row: the row losses
                return array.reshape(N, *spatial)
            return np.moveaxis(array.reshape(N, *spatial, C), -1, 1)

        return spatial_layout
    return _as_is if result.is_batch else _first


def _as_is(array: NDArray[Any]) -> NDArray[Any]:
    return array


def _first(array: NDArray[Any]) -> NDArray[Any]:
    row: NDArray[Any] = array[0]
    return row


def _first_as_list(array: NDArray[Any]) -> Any:
    return array.tolist()[0]  # no view made first: a third quicker for a row's small arrays


def _arrays(
    result: GradientResult, rows: Callable[[NDArray[Any]], Any] | None = None
) -> dict[str, Any]:
    """Return the response as a dict of numpy arrays and floats, named as the REST contract
    (each array put in the request's layout by `rows`, which may also make it a list)."""
    ce = result.ce
    rows = rows or _layout(result)
    loss = ce.loss
    if isinstance(loss, np.ndarray):  # 'none': row losses, or entries (mse, bce) as B×n
        loss = rows(loss) if result.is_batch or loss.ndim == 2 else float(loss[0])
    payload: dict[str, Any] = {
        "probs": rows(ce.softmax.probs),
        "log_probs": rows(ce.softmax.log_probs),
        "target": rows(ce.target),
        "loss": loss,
        "grad_logits": rows(ce.grad_logits),
        "grad_probs": rows(ce.grad_probs),
    }
    if isinstance(ce.loss, float) and ce.loss != ce.loss:  # NaN: 'mean' over no rows
        payload["loss"] = None
        payload["loss_undefined"] = (
            "every row's class index is ignore_index, so 'mean' divides 0 by 0 (PyTorch returns "
            "NaN); the gradients are 0, as PyTorch's"
        )
    if result.jacobian is not None:
        payload["jacobian"] = rows(result.jacobian)
    if result.chain is not None:
        payload["chain"] = rows(result.chain)
    if result.check is not None:
        check = result.check
        payload["check"] = {
            "grad_logits": rows(check.grad_logits),
            "error_bound": rows(check.error_bound),
            "agrees": rows(check.agrees),
            "resolved": rows(check.resolved),
            "all_agree": bool(check.agrees.all()),
            "max_abs_error": check.max_abs_error,
            "max_rel_error": check.max_rel_error,
        }
    return payload


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def gradient_payload(result: GradientResult) -> dict[str, Any]:
    """Return the response as a dict of plain lists and floats, named as the REST contract."""
    if not result.is_batch and result.request.layout is None:  # a row: lists straight away
        return _arrays(result, _first_as_list)
    return {
        key: value.tolist() if isinstance(value, np.ndarray) else _plain(value)
        for key, value in _arrays(result).items()
    }


def dumps(payload: dict[str, Any]) -> bytes:
    """Serialise a payload (numpy arrays allowed, as lists) as compact, strict JSON."""
    return orjson.dumps(_plain(payload))


def gradient_json(result: GradientResult) -> bytes:
    """Serialise the result as compact, strict JSON."""
    return orjson.dumps(gradient_payload(result))


def entries(result: GradientResult) -> int:
    """Return how many numbers the answer holds (what decides whether it is streamed)."""
    matrices = sum(m.size for m in (result.jacobian, result.chain) if m is not None)
    return int(result.ce.softmax.probs.size) * 6 + int(matrices)


def _pieces(value: Any) -> Iterator[bytes]:
    """Yield the JSON of a value, a row of its outer axis at a time for arrays of rows."""
    if isinstance(value, dict):
        yield b"{"
        for k, (key, item) in enumerate(value.items()):
            yield (b"," if k else b"") + orjson.dumps(key) + b":"
            yield from _pieces(item)
        yield b"}"
    elif isinstance(value, np.ndarray) and value.ndim >= 2:
        yield from _matrix_pieces(value)
    else:
        yield orjson.dumps(_plain(value))


def _matrix_pieces(value: NDArray[Any]) -> Iterator[bytes]:
    """Yield the JSON of an array of two or more axes, a row at a time. A float row of +0.0
    only (a one-hot row's chain terms are such rows but one: 999 of an n = 1,000 answer's
    1,000) is written from its known text, not formatted: what orjson writes for it."""
    yield b"["
    if value.ndim > 2:
        for i, inner in enumerate(value):
            if i:
                yield b","
            yield from _matrix_pieces(inner)
    else:
        zero = None
        if value.dtype == np.float64 and value.shape[1]:
            zero = np.asarray(~value.view(np.uint64).any(axis=1))  # all bits 0: +0.0, not −0.0
            zero_row = b"[" + b"0.0," * (value.shape[1] - 1) + b"0.0]"
        for i, row in enumerate(value):
            text = zero_row if zero is not None and zero[i] else orjson.dumps(row.tolist())
            yield (b"," if i else b"") + text
    yield b"]"


def gradient_chunks(result: GradientResult) -> Generator[bytes]:
    """Yield the same bytes as `gradient_json`, in chunks of about CHUNK_BYTES."""
    buffer: list[bytes] = []
    size = 0
    for piece in _pieces(_arrays(result)):
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


NPZ_MEDIA_TYPE = "application/x-npz"


def _flat(payload: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, NDArray[Any]]]:
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flat(value, f"{name}.")
        elif value is None:  # an undefined loss, or no resolved component: NaN in binary
            yield name, np.array(np.nan)
        else:
            yield name, np.asarray(value)


def gradient_npz(result: GradientResult) -> list[bytes | memoryview]:
    """Serialise the result as a NumPy .npz archive, as its parts: one array per field.

    The names are the JSON fields' (`check.grad_logits` for nested ones), the shapes follow the
    request's logits, and the values are the float64 arrays themselves: no decimal formatting
    on the way out or parsing on the way in, and dE/dO's −∞ stays −∞ (JSON's null). Read it with
    `numpy.load(io.BytesIO(body))`; it needs no pickle.

    The archive is what `numpy.savez` writes (a ZIP of stored, uncompressed .npy members) but
    put together here so that each array is sent from its own memory: `savez` copied the 16 MB
    of an n = 1,000 answer's matrices five times over. Its CRC-32s are the one pass left, and
    zlib-ng's crc32 (folded with carry-less multiplies) makes them 13 times quicker than
    zlib's: 0.3 ms for those 16 MB, against 3.8 ms.
    """
    parts: list[bytes | memoryview] = []
    directory: list[bytes] = []
    offset = 0
    for name, value in _flat(_arrays(result)):
        array = np.asarray(value, order="C")  # (ascontiguousarray would make a 0-d loss 1-d)
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, np.lib.format.header_data_from_array_1_0(array)
        )
        head = header.getvalue()
        data = array.reshape(-1).view(np.uint8).data if array.size else memoryview(b"")
        crc = crc32(data, crc32(head))
        size = len(head) + len(data)
        file_name = f"{name}.npy".encode()
        fields = _ZIP_FIELDS.pack(crc, size, size, len(file_name))
        parts += [_ZIP_LOCAL + fields + b"\0\0" + file_name, head, data]
        directory.append(
            _ZIP_CENTRAL
            + fields
            + _ZIP_CENTRAL_TAIL.pack(0, 0, 0, 0, 0o600 << 16, offset)
            + file_name
        )
        offset += _ZIP_LOCAL_SIZE + len(file_name) + size
    listing = b"".join(directory)
    end = _ZIP_END.pack(0x06054B50, 0, 0, len(directory), len(directory), len(listing), offset, 0)
    parts.append(listing + end)
    return parts


# The ZIP layout (PKWARE's APPNOTE 4.3): a local header before each member, then a central
# directory of them, then its end record. Every member is stored (method 0), version 2.0,
# dated 1980-01-01 00:00 (so that the same request gives the same bytes).
_ZIP_LOCAL = struct.pack("<IHHHHH", 0x04034B50, 20, 0, 0, 0, 0x21)
_ZIP_FIELDS = struct.Struct("<IIIH")  # CRC-32, compressed and uncompressed size, name length
_ZIP_LOCAL_SIZE = len(_ZIP_LOCAL) + _ZIP_FIELDS.size + 2  # + extra field length 0
_ZIP_CENTRAL = struct.pack("<IHHHHHH", 0x02014B50, 20, 20, 0, 0, 0, 0x21)
# extra field and comment lengths, disk 0, internal and external attributes (-rw-------),
# then the member's local header offset
_ZIP_CENTRAL_TAIL = struct.Struct("<HHHHII")
_ZIP_END = struct.Struct("<IHHHHIIH")


SAFETENSORS_MEDIA_TYPE = "application/x-safetensors"
# safetensors' names for the dtypes an answer holds, and their little-endian layouts.
_SAFETENSORS_DTYPES = {"f": ("F64", "<f8"), "b": ("BOOL", "|b1")}


def gradient_safetensors(result: GradientResult) -> list[bytes | memoryview]:
    """Serialise the result in the safetensors format, as its parts: header, then each array.

    The layout (huggingface.co/docs/safetensors): 8 bytes of little-endian header length,
    that header as JSON ({name: {"dtype", "shape", "data_offsets"}} and a string-valued
    `__metadata__`), then every array's little-endian bytes, back to back. The names, shapes
    and values are the .npz's (`check.grad_logits`, −∞ and NaN kept); the float64 arrays come
    first so that each starts 8-byte aligned, and `loss_undefined` is metadata. The parts are
    the arrays' own memory: nothing is formatted or copied, which is what makes it the quick
    encoding of a large answer (`safetensors.numpy.load(body)`, or five lines of numpy).
    """
    tensors: list[tuple[str, str, NDArray[Any]]] = []
    metadata: dict[str, str] = {}
    for name, array in _flat(_arrays(result)):
        if array.dtype.kind == "U":  # the reason a loss is undefined
            metadata[name] = str(array)
            continue
        dtype, layout = _SAFETENSORS_DTYPES[array.dtype.kind]
        tensors.append((name, dtype, np.asarray(array, dtype=layout, order="C")))
    tensors.sort(key=lambda tensor: -tensor[2].itemsize)  # stable: the JSON's order otherwise
    header: dict[str, Any] = {}
    offset = 0
    for name, dtype, array in tensors:
        header[name] = {"dtype": dtype, "shape": list(array.shape)}
        header[name]["data_offsets"] = [offset, offset + array.nbytes]
        offset += array.nbytes
    if metadata:
        header["__metadata__"] = metadata
    text = orjson.dumps(header)
    text += b" " * (-len(text) % 8)  # the spec's padding: the data starts 8-byte aligned
    parts: list[bytes | memoryview] = [struct.pack("<Q", len(text)) + text]
    parts += [array.reshape(-1).view(np.uint8).data for _, _, array in tensors]
    return parts
