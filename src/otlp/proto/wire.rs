//! The protobuf wire format, read the way prost reads it: LEB128 varints of at most ten
//! bytes (the tenth below 2), keys with a wire type of 0–5 and a tag of at least 1,
//! length-delimited fields bounded by the enclosing message, and unknown fields of every
//! wire type skipped, groups included, under prost's recursion limit.
//!
//! A [`Reader`] is a window `pos..end` of the whole body, so an embedded message is read by a
//! reader over its own bytes and an error can name its absolute byte offset. Where prost
//! reads past an embedded message's end and then fails with "delimited length exceeded", a
//! reader fails at the end of its window instead: both reject the body.

use bytes::Bytes;

use crate::otlp::Str;

/// Nesting budget of a top-level message's fields: prost's `RECURSION_LIMIT`.
pub(super) const RECURSION_LIMIT: u32 = 100;

/// Wire types (the low three bits of a key).
pub(super) const VARINT: u8 = 0;
pub(super) const FIXED64: u8 = 1;
pub(super) const LENGTH_DELIMITED: u8 = 2;
pub(super) const START_GROUP: u8 = 3;
pub(super) const END_GROUP: u8 = 4;
pub(super) const FIXED32: u8 = 5;

/// Why a body is not a valid message, and at which byte of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WireError {
    pub(super) at: usize,
    pub(super) what: WireErrorKind,
}

/// prost's error kinds, worded as prost words them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WireErrorKind {
    InvalidVarint,
    InvalidKey(u64),
    InvalidWireTypeValue(u64),
    InvalidTag,
    UnexpectedWireType { actual: u8, expected: u8 },
    BufferUnderflow,
    DelimitedLengthExceeded,
    UnexpectedEndGroupTag,
    InvalidString,
    RecursionLimitReached,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "failed to decode Protobuf message at byte {}: ", self.at)?;
        match self.what {
            WireErrorKind::InvalidVarint => f.write_str("invalid varint"),
            WireErrorKind::InvalidKey(key) => write!(f, "invalid key value: {key}"),
            WireErrorKind::InvalidWireTypeValue(value) => {
                write!(f, "invalid wire type value: {value}")
            }
            WireErrorKind::InvalidTag => f.write_str("invalid tag value: 0"),
            WireErrorKind::UnexpectedWireType { actual, expected } => write!(
                f,
                "invalid wire type: {} (expected {})",
                wire_type_name(actual),
                wire_type_name(expected)
            ),
            WireErrorKind::BufferUnderflow => f.write_str("buffer underflow"),
            WireErrorKind::DelimitedLengthExceeded => f.write_str("delimited length exceeded"),
            WireErrorKind::UnexpectedEndGroupTag => f.write_str("unexpected end group tag"),
            WireErrorKind::InvalidString => {
                f.write_str("invalid string value: data is not UTF-8 encoded")
            }
            WireErrorKind::RecursionLimitReached => f.write_str("recursion limit reached"),
        }
    }
}

fn wire_type_name(wire_type: u8) -> &'static str {
    match wire_type {
        VARINT => "Varint",
        FIXED64 => "SixtyFourBit",
        LENGTH_DELIMITED => "LengthDelimited",
        START_GROUP => "StartGroup",
        END_GROUP => "EndGroup",
        _ => "ThirtyTwoBit",
    }
}

pub(super) type WireResult<T> = Result<T, WireError>;

/// A window `pos..end` of the body being read.
pub(super) struct Reader<'a> {
    /// The whole body, shared: strings are slices of it (see [`Reader::string_field`]).
    source: &'a Bytes,
    bytes: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the whole body.
    pub(super) fn new(source: &'a Bytes) -> Reader<'a> {
        Reader { source, bytes: source, pos: 0, end: source.len() }
    }

    /// Whether the window is read to its end.
    #[inline]
    pub(super) fn is_done(&self) -> bool {
        self.pos >= self.end
    }

    fn remaining(&self) -> usize {
        self.end - self.pos
    }

    #[cold]
    fn error(&self, what: WireErrorKind) -> WireError {
        WireError { at: self.pos, what }
    }

    /// A LEB128 varint, as prost's `decode_varint`: at most ten bytes, the tenth 0 or 1.
    #[inline]
    pub(super) fn varint(&mut self) -> WireResult<u64> {
        let window = &self.bytes[self.pos..self.end];
        match window.first() {
            Some(&byte) if byte < 0x80 => {
                self.pos += 1;
                Ok(u64::from(byte))
            }
            _ => self.varint_long(),
        }
    }

    fn varint_long(&mut self) -> WireResult<u64> {
        let window = &self.bytes[self.pos..self.end];
        let mut value = 0u64;
        for (count, &byte) in window.iter().take(10).enumerate() {
            value |= u64::from(byte & 0x7f) << (count * 7);
            if byte < 0x80 {
                if count == 9 && byte >= 0x02 {
                    return Err(self.error(WireErrorKind::InvalidVarint));
                }
                self.pos += count + 1;
                return Ok(value);
            }
        }
        Err(self.error(WireErrorKind::InvalidVarint))
    }

    /// A field key: `(tag, wire type)`, as prost's `decode_key`.
    #[inline]
    pub(super) fn key(&mut self) -> WireResult<(u32, u8)> {
        let at = self.pos;
        let key = self.varint()?;
        let fail = |what| Err(WireError { at, what });
        if key > u64::from(u32::MAX) {
            return fail(WireErrorKind::InvalidKey(key));
        }
        let wire_type = (key & 0x07) as u8;
        if wire_type > FIXED32 {
            return fail(WireErrorKind::InvalidWireTypeValue(u64::from(wire_type)));
        }
        let tag = (key as u32) >> 3;
        if tag == 0 {
            return fail(WireErrorKind::InvalidTag);
        }
        Ok((tag, wire_type))
    }

    /// Fails unless the field's wire type is `expected`.
    #[inline]
    pub(super) fn expect(&self, actual: u8, expected: u8) -> WireResult<()> {
        if actual == expected {
            Ok(())
        } else {
            Err(self.error(WireErrorKind::UnexpectedWireType { actual, expected }))
        }
    }

    /// The next `len` bytes.
    #[inline]
    fn take(&mut self, len: usize) -> WireResult<&'a [u8]> {
        if len > self.remaining() {
            return Err(self.error(WireErrorKind::BufferUnderflow));
        }
        let res = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(res)
    }

    fn fixed<const N: usize>(&mut self) -> WireResult<[u8; N]> {
        let bytes = self.take(N)?;
        let mut res = [0; N];
        res.copy_from_slice(bytes);
        Ok(res)
    }

    /// A varint field (`int32`, `uint32`, `int64`, `uint64`, `bool`, `enum`, `sint*`).
    #[inline]
    pub(super) fn varint_field(&mut self, wire_type: u8) -> WireResult<u64> {
        self.expect(wire_type, VARINT)?;
        self.varint()
    }

    /// A `fixed64`, `sfixed64` or `double` field, as its bits.
    #[inline]
    pub(super) fn fixed64_field(&mut self, wire_type: u8) -> WireResult<u64> {
        self.expect(wire_type, FIXED64)?;
        self.fixed::<8>().map(u64::from_le_bytes)
    }

    /// A `fixed32` field.
    #[inline]
    pub(super) fn fixed32_field(&mut self, wire_type: u8) -> WireResult<u32> {
        self.expect(wire_type, FIXED32)?;
        self.fixed::<4>().map(u32::from_le_bytes)
    }

    /// A `double` field.
    #[inline]
    pub(super) fn double_field(&mut self, wire_type: u8) -> WireResult<f64> {
        self.fixed64_field(wire_type).map(f64::from_bits)
    }

    /// The content of a length-delimited field.
    #[inline]
    pub(super) fn bytes_field(&mut self, wire_type: u8) -> WireResult<&'a [u8]> {
        self.expect(wire_type, LENGTH_DELIMITED)?;
        let len = self.varint()?;
        if len > self.remaining() as u64 {
            return Err(self.error(WireErrorKind::BufferUnderflow));
        }
        self.take(len as usize)
    }

    /// A `string` field, checked to be UTF-8 (prost rejects the whole message otherwise).
    #[inline]
    pub(super) fn str_field(&mut self, wire_type: u8) -> WireResult<&'a str> {
        let at = self.pos;
        let bytes = self.bytes_field(wire_type)?;
        std::str::from_utf8(bytes).map_err(|_| WireError { at, what: WireErrorKind::InvalidString })
    }

    /// A `string` field as a slice of the body: checked to be UTF-8, never copied.
    #[inline]
    pub(super) fn string_field(&mut self, wire_type: u8) -> WireResult<Str> {
        let at = self.pos;
        let len = self.bytes_field(wire_type)?.len();
        if len == 0 {
            return Ok(Str::new());
        }
        Str::from_utf8_shared(self.source.slice(self.pos - len..self.pos))
            .ok_or(WireError { at, what: WireErrorKind::InvalidString })
    }

    /// An embedded message: a reader over its bytes, after prost's checks (wire type, then
    /// the recursion budget `depth` of the field's message, then the length). Read its fields
    /// with `depth - 1`.
    #[inline]
    pub(super) fn message_field(&mut self, wire_type: u8, depth: u32) -> WireResult<Reader<'a>> {
        self.expect(wire_type, LENGTH_DELIMITED)?;
        if depth == 0 {
            return Err(self.error(WireErrorKind::RecursionLimitReached));
        }
        let len = self.varint()?;
        if len > self.remaining() as u64 {
            return Err(self.error(WireErrorKind::BufferUnderflow));
        }
        let start = self.pos;
        self.pos += len as usize;
        Ok(Reader { source: self.source, bytes: self.bytes, pos: start, end: self.pos })
    }

    /// A `repeated fixed64` or `repeated double` field, packed or not.
    /// Appended to `list` as `convert` makes them, with room for a packed field's values made
    /// once.
    pub(super) fn repeated_fixed64<T>(
        &mut self,
        wire_type: u8,
        list: &mut Vec<T>,
        convert: impl Fn(u64) -> T,
    ) -> WireResult<()> {
        if wire_type != LENGTH_DELIMITED {
            list.push(convert(self.fixed64_field(wire_type)?));
            return Ok(());
        }
        let at = self.pos;
        let packed = self.bytes_field(wire_type)?;
        // prost reads the last, partial element past the field's end and then fails.
        if packed.len() % 8 != 0 {
            return Err(WireError { at, what: WireErrorKind::DelimitedLengthExceeded });
        }
        list.reserve(packed.len() / 8);
        for chunk in packed.chunks_exact(8) {
            let mut bytes = [0; 8];
            bytes.copy_from_slice(chunk);
            list.push(convert(u64::from_le_bytes(bytes)));
        }
        Ok(())
    }

    /// A `repeated uint64` field, packed or not.
    pub(super) fn repeated_varint(
        &mut self,
        wire_type: u8,
        mut push: impl FnMut(u64),
    ) -> WireResult<()> {
        if wire_type != LENGTH_DELIMITED {
            return self.varint_field(wire_type).map(push);
        }
        let len = self.varint()?;
        if len > self.remaining() as u64 {
            return Err(self.error(WireErrorKind::BufferUnderflow));
        }
        let mut packed = Reader { source: self.source, bytes: self.bytes, pos: self.pos, end: self.pos + len as usize };
        self.pos = packed.end;
        while !packed.is_done() {
            // A varint running past the field's end fails here, as it does in prost (there
            // "delimited length exceeded").
            push(packed.varint()?);
        }
        Ok(())
    }

    /// How many more fields numbered `tag` follow the current one (whose key was just read,
    /// with `wire_type`) in this window: a capacity hint, so it stops at the first field it
    /// cannot skip and never fails (the read itself reports the problem).
    pub(super) fn count_ahead(&self, tag: u32, wire_type: u8) -> usize {
        let mut probe = Reader { source: self.source, bytes: self.bytes, pos: self.pos, end: self.end };
        let mut count = 0;
        // Groups are skipped with a small depth budget: a deep one ends the count early.
        if probe.skip(wire_type, tag, 4).is_err() {
            return 0;
        }
        while !probe.is_done() {
            let Ok((found, found_wire_type)) = probe.key() else { break };
            if probe.skip(found_wire_type, found, 4).is_err() {
                break;
            }
            count += usize::from(found == tag);
        }
        count
    }

    /// Skips a field this reader does not keep, as prost's `skip_field` does: any wire type,
    /// groups read up to their matching end tag; `depth` is the budget of the field's message
    /// (prost checks it even for a varint).
    pub(super) fn skip(&mut self, wire_type: u8, tag: u32, depth: u32) -> WireResult<()> {
        if depth == 0 {
            return Err(self.error(WireErrorKind::RecursionLimitReached));
        }
        match wire_type {
            VARINT => self.varint().map(drop),
            FIXED64 => self.take(8).map(drop),
            FIXED32 => self.take(4).map(drop),
            LENGTH_DELIMITED => self.bytes_field(wire_type).map(drop),
            START_GROUP => loop {
                let at = self.pos;
                let (inner_tag, inner_wire_type) = self.key()?;
                if inner_wire_type == END_GROUP {
                    if inner_tag != tag {
                        return Err(WireError { at, what: WireErrorKind::UnexpectedEndGroupTag });
                    }
                    return Ok(());
                }
                self.skip(inner_wire_type, inner_tag, depth - 1)?;
            },
            _ => Err(self.error(WireErrorKind::UnexpectedEndGroupTag)),
        }
    }
}
