"""A tiny real MP4 per request: the frame shape of its aspect ratio and its duration, made locally.

The simulator's downloads should look like the real API's (a video of the asked shape and length)
without shipping clips or an encoder: H.264 allows raw (I_PCM) macroblocks, so the first frame is
written sample by sample and every later frame repeats it (all macroblocks skipped). A 15 s clip
is a few kilobytes and plays anywhere.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache

#: Frame size (width, height) per aspect ratio; small, as the clips only need the right shape.
FRAME_SIZES: dict[str, tuple[int, int]] = {"16:9": (64, 36), "9:16": (36, 64), "1:1": (48, 48)}
FPS = 4
_TIMESCALE = 1000
_PROFILE_BASELINE, _LEVEL = 66, 10


class _Bits:
    """An H.264 RBSP bit writer (fixed-width and Exp-Golomb fields)."""

    def __init__(self) -> None:
        self._bits: list[int] = []

    def u(self, width: int, value: int) -> None:
        self._bits.extend((value >> shift) & 1 for shift in range(width - 1, -1, -1))

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(code.bit_length() * 2 - 1, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> None:
        while len(self._bits) % 8:
            self._bits.append(0)

    def raw(self, data: bytes) -> None:
        for byte in data:
            self.u(8, byte)

    def rbsp(self) -> bytes:
        """The bits with the RBSP stop bit and alignment."""
        self._bits.append(1)
        self.align_zero()
        bits = self._bits
        return bytes(int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8))


def _nal(ref_idc: int, kind: int, rbsp: bytes) -> bytes:
    """A NAL unit with emulation prevention (no 00 00 0x start-code look-alikes inside)."""
    out = bytearray([(ref_idc << 5) | kind])
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _sps(mbs_wide: int, mbs_high: int, width: int, height: int) -> bytes:
    bits = _Bits()
    bits.u(8, _PROFILE_BASELINE)
    bits.u(8, 0xC0)  # constraint_set0 and 1: plain baseline
    bits.u(8, _LEVEL)
    bits.ue(0)  # seq_parameter_set_id
    bits.ue(0)  # log2_max_frame_num_minus4: frame_num has 4 bits
    bits.ue(2)  # pic_order_cnt_type 2: order follows frame_num
    bits.ue(1)  # max_num_ref_frames
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(mbs_wide - 1)
    bits.ue(mbs_high - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    crop_right, crop_bottom = (mbs_wide * 16 - width) // 2, (mbs_high * 16 - height) // 2
    bits.u(1, 1 if crop_right or crop_bottom else 0)
    if crop_right or crop_bottom:
        for offset in (0, crop_right, 0, crop_bottom):  # left, right, top, bottom in 2-pixel units
            bits.ue(offset)
    bits.u(1, 0)  # vui_parameters_present_flag
    return _nal(3, 7, bits.rbsp())


def _pps() -> bytes:
    bits = _Bits()
    bits.ue(0)  # pic_parameter_set_id
    bits.ue(0)  # seq_parameter_set_id
    bits.u(1, 0)  # CAVLC
    bits.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    bits.ue(0)  # num_slice_groups_minus1
    bits.ue(0)  # num_ref_idx_l0_default_active_minus1
    bits.ue(0)  # num_ref_idx_l1_default_active_minus1
    bits.u(1, 0)  # weighted_pred_flag
    bits.u(2, 0)  # weighted_bipred_idc
    bits.se(0)  # pic_init_qp_minus26
    bits.se(0)  # pic_init_qs_minus26
    bits.se(0)  # chroma_qp_index_offset
    bits.u(1, 1)  # deblocking_filter_control_present_flag
    bits.u(1, 0)  # constrained_intra_pred_flag
    bits.u(1, 0)  # redundant_pic_cnt_present_flag
    return _nal(3, 8, bits.rbsp())


def _first_frame(mbs_wide: int, mbs_high: int) -> bytes:
    """An IDR frame of raw macroblocks: a diagonal gradient, so the frame's shape shows."""
    bits = _Bits()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(7)  # slice_type: I (all slices)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(4, 0)  # frame_num
    bits.ue(0)  # idr_pic_id
    bits.u(1, 0)  # no_output_of_prior_pics_flag
    bits.u(1, 0)  # long_term_reference_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc: raw samples need none
    for mb_y in range(mbs_high):
        for mb_x in range(mbs_wide):
            bits.ue(25)  # mb_type I_PCM
            bits.align_zero()
            luma = bytes(
                16 + (((mb_x * 16 + x) * 3 + (mb_y * 16 + y) * 2) % 200) for y in range(16) for x in range(16)
            )
            bits.raw(luma)
            bits.raw(bytes([96 + mb_x * 8 % 64]) * 64)  # Cb
            bits.raw(bytes([160 - mb_y * 8 % 64]) * 64)  # Cr
    return _nal(3, 5, bits.rbsp())


def _repeat_frame(frame_num: int, macroblocks: int) -> bytes:
    """A P frame that skips every macroblock: the previous picture again."""
    bits = _Bits()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(5)  # slice_type: P (all slices)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(4, frame_num % 16)
    bits.u(1, 0)  # num_ref_idx_active_override_flag
    bits.u(1, 0)  # ref_pic_list_modification_flag_l0
    bits.u(1, 0)  # adaptive_ref_pic_marking_mode_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc
    bits.ue(macroblocks)  # mb_skip_run: all of them
    return _nal(2, 1, bits.rbsp())


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


@dataclass(frozen=True)
class _Track:
    """The one video track: frame size, frame count, each sample's size and its sample description."""

    width: int
    height: int
    frames: int
    sample_sizes: tuple[int, ...]
    sample_entry: bytes

    @property
    def duration(self) -> int:
        return self.frames * _TIMESCALE // FPS


@lru_cache(maxsize=64)
def make_mp4(aspect_ratio: str, seconds: int) -> bytes:
    """An MP4 (H.264) of ``seconds`` seconds whose frame has the shape of ``aspect_ratio``."""
    width, height = FRAME_SIZES.get(aspect_ratio, FRAME_SIZES["16:9"])
    mbs_wide, mbs_high = -(-width // 16), -(-height // 16)
    frames = max(1, seconds) * FPS
    samples = [_first_frame(mbs_wide, mbs_high)]
    samples += [_repeat_frame(n, mbs_wide * mbs_high) for n in range(1, frames)]
    sample_data = [struct.pack(">I", len(s)) + s for s in samples]
    entry = _sample_entry(width, height, _sps(mbs_wide, mbs_high, width, height), _pps())
    track = _Track(width, height, frames, tuple(len(s) for s in sample_data), entry)
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2avc1mp41")
    header_size = len(ftyp) + len(_moov(track, 0)) + 8  # the moov's size does not depend on the offset
    return ftyp + _moov(track, header_size) + _box(b"mdat", *sample_data)


def _sample_entry(width: int, height: int, sps: bytes, pps: bytes) -> bytes:
    """The avc1 sample description: the frame size and the H.264 parameter sets."""
    avcc = _box(
        b"avcC",
        bytes([1, _PROFILE_BASELINE, 0xC0, _LEVEL, 0xFF, 0xE1]),
        struct.pack(">H", len(sps)) + sps,
        bytes([1]) + struct.pack(">H", len(pps)) + pps,
    )
    return _box(
        b"avc1",
        bytes(6) + struct.pack(">H", 1) + bytes(16),
        struct.pack(">HHIIIH", width, height, 0x480000, 0x480000, 0, 1),
        bytes(32) + struct.pack(">Hh", 0x18, -1),
        avcc,
    )


def _sample_table(track: _Track, mdat_offset: int) -> bytes:
    """Where each frame is: one chunk at ``mdat_offset``, every frame the same length of time."""
    frames = track.frames
    return _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), track.sample_entry),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, frames, _TIMESCALE // FPS)),
        _full_box(b"stss", 0, 0, struct.pack(">II", 1, 1)),
        _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, frames, 1)),
        _full_box(
            b"stsz",
            0,
            0,
            struct.pack(">II", 0, frames),
            *(struct.pack(">I", size) for size in track.sample_sizes),
        ),
        _full_box(b"stco", 0, 0, struct.pack(">II", 1, mdat_offset)),
    )


def _moov(track: _Track, mdat_offset: int) -> bytes:
    """The movie header: one video track whose samples start at ``mdat_offset``."""
    width, height, duration = track.width, track.height, track.duration
    minf = _box(
        b"minf",
        _full_box(b"vmhd", 0, 1, bytes(8)),
        _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1))),
        _sample_table(track, mdat_offset),
    )
    mdia = _box(
        b"mdia",
        _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, _TIMESCALE, duration, 0x55C4, 0)),
        _full_box(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\0"),
        minf,
    )
    tkhd = _full_box(
        b"tkhd", 0, 3,
        struct.pack(">IIIII", 0, 0, 1, 0, duration), bytes(8), struct.pack(">hhhH", 0, 0, 0, 0),
        _MATRIX, struct.pack(">II", width << 16, height << 16),
    )  # fmt: skip
    mvhd = _full_box(
        b"mvhd", 0, 0,
        struct.pack(">IIIIIH", 0, 0, _TIMESCALE, duration, 0x10000, 0x100), bytes(10), _MATRIX,
        bytes(24), struct.pack(">I", 2),
    )  # fmt: skip
    return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))
